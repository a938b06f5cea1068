"""Invoices at any size: read as a stream, kept in the database, looked up by index.

files      read an invoice CSV safely in one pass: its content hash and the whole-file
           checks (binary, not UTF-8, empty); then its text, line by line
grouping   lines sharing an invoice number form one invoice; when one is withheld
book       what answers ask of invoices (`InvoiceBook`), and the in-memory loader that
           `check` and small tools use (`InMemory`)
models     the SQL tables (Alembic revision 0004)
store      `InvoiceStore`: sources staged in batches, made live in one transaction,
           grouped into the `invoices` table; `StoredBook` queries it by index
folder     `InDatabase`: the knowledge folder's invoice files kept in the store,
           re-imported only when a file's content hash changed
mapping    `MAPPING.yaml`: how a PSA or billing platform's export maps to invoice lines
importer   `billing-bot import invoices FILE --mapping MAPPING.yaml`
"""
