"""Property: whatever a knowledge folder holds (broken YAML, bad CSV rows, non-finite numbers,
impossible times and dates, binary files, links in and out of it, loops, FIFOs, empty files,
bad front matter), loading and `billing-bot check` never raise, every problem is
`path:line: message` with a path inside the folder, and nothing outside it is ever loaded.

No model: the loader only, so a thousand folders take seconds."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import cli
from bot.knowledge.folder import Knowledge, load_knowledge

SECRET = "s3cr3t-outside-the-folder"
PROBLEM = re.compile(r"^[^/\n][^\n]*:[1-9]\d*: \S")
HEADER = (
    "invoice_number,customer_id,issue_date,due_date,period_start,period_end,product,sku,"
    "charge_type,quantity,unit_price,amount,tax,currency,status,paid_date"
)
GOOD_ROW = [
    "NW-2026-0001", "acme", "2026-11-02", "2026-12-02", "2026-11-01", "2026-11-30", "M365",
    "CFQ7TTC0LCHC:0002", "renewal", "2", "10.50", "21.00", "4.41", "EUR", "unpaid", "",
]  # fmt: skip
FAST_TMP = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # a thousand folders in RAM
NAMES = [
    "customers.yaml", "partner.yaml", "escalation.yaml", "invoices.csv", "invoices/2026-11.csv",
    "articles/terms.md", "articles/x.md", "faq.yml", "README.md", "notes.txt", "other.yaml",
    "deep/er/page.markdown", "invoices-old.csv",
]  # fmt: skip

bad_numbers = st.sampled_from(
    ["NaN", "nan", "-Infinity", "Infinity", "inf", "sNaN", "1e309", "-1e309", "1e999999999",
     "9" * 400, "1e-9999", "0x10", "1,5", "", " ", "1_000", "١٢", "--1"]
)  # fmt: skip
bad_dates = st.sampled_from(
    ["2026-02-30", "2026-13-01", "0000-01-01", "99999-01-01", "2026-1-1", "", "yesterday"]
)
bad_times = st.sampled_from(
    ['"25:99-18:00"', '"08:00-24:00"', '"18:00-08:00"', '"8-18"', "0800-1800", "[1, 2]", "{}",
     '"99:99-99:99"', "null", '"00:00-00:00"']
)  # fmt: skip
yaml_scalars = st.sampled_from(
    ["1e309", ".nan", "-.inf", "9" * 500, "2026-02-30", "[", "{a: b", "!!python/object:os.system",
     "&a [*a]", "*nowhere", "? [x]\n: y", '"\\xZZ"', "null", "true", "- x", "'", "@"]
)  # fmt: skip
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)


@st.composite
def invoice_csv(draw: st.DrawFn) -> str:
    header = HEADER.split(",")
    if draw(st.booleans()):
        header = draw(st.permutations(header))[: draw(st.integers(1, len(header)))]
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        row = dict(zip(HEADER.split(","), GOOD_ROW, strict=True))
        for column in draw(st.lists(st.sampled_from(HEADER.split(",")), max_size=3)):
            value = draw(st.one_of(bad_numbers, bad_dates, texts))
            row[column] = value
        cells = [row.get(c, "") for c in header]
        if draw(st.integers(0, 9)) == 0:
            cells = cells[: draw(st.integers(0, len(cells)))]  # a short row
        rows.append(",".join(f'"{c}"' if "," in c or '"' in c else c for c in cells))
    return "\n".join([",".join(header), *rows]) + draw(st.sampled_from(["", "\n", '\n"']))


@st.composite
def yaml_file(draw: st.DrawFn) -> str:
    shape = draw(st.sampled_from(["customers", "partner", "escalation", "faq", "junk"]))
    if shape == "customers":
        value = draw(yaml_scalars)
        return (
            "customers:\n  - id: acme\n    name: Acme\n"
            f"    tenant_ids: {draw(st.sampled_from(['x', value, '[1, 2]', '{a: 1}']))}\n"
            f"    contacts: {draw(st.sampled_from([value, '[1]', 'x']))}\n"
            + draw(st.sampled_from(["", "   name: bad indent\n", "\tid: tab\n", f"  - {value}\n"]))
        )
    if shape == "partner":
        return (
            f"name: {draw(yaml_scalars)}\nsupport:\n  timezone: {draw(yaml_scalars)}\n"
            f"  hours:\n    mon: {draw(bad_times)}\n    {draw(texts).strip() or 'x'}: "
            f"{draw(bad_times)}\n  holidays: [{draw(bad_dates)}]\n"
            f"collections:\n  reminder_days: {draw(yaml_scalars)}\n"
            f"  suspension_days: {draw(st.one_of(yaml_scalars, bad_numbers))}\n"
        )
    if shape == "escalation":
        return (
            f"routes: {draw(st.sampled_from(['{b: {name: B}}', '[b]', 'x']))}\n"
            f"categories:\n  - id: {draw(yaml_scalars)}\n    route: b\n"
            f"    examples: {draw(st.sampled_from(['[a, b]', 'text', '7', '[[1]]']))}\n"
        )
    if shape == "faq":
        return (
            f"### YamlMime:FAQ\nmetadata: {draw(yaml_scalars)}\ntitle: T\n"
            f"sections: {draw(st.sampled_from(['[x]', '[{questions: x}]', '[{questions: [1]}]']))}"
            "\n"
        )
    return "\n".join(draw(st.lists(st.one_of(yaml_scalars, texts), max_size=5)))


@st.composite
def markdown(draw: st.DrawFn) -> str:
    front = draw(
        st.sampled_from(
            ["", "---\ntitle: [unclosed\n---\n", "---\n", "---\naudience: partners\n---\n",
             "---\nupdated: 2026-02-30\n---\n", "---\n- a list\n---\n", "---\ntags: 7\n---\n",
             f"---\ntitle: {'[' * 2000}\n---\n"]
        )
    )  # fmt: skip
    return front + "# Title\n\n" + draw(texts) + "\n## Section\n\nSome words to answer from.\n"


file_contents = st.one_of(
    invoice_csv().map(str.encode),
    yaml_file().map(str.encode),
    markdown().map(str.encode),
    texts.map(str.encode),
    st.binary(max_size=64),
    st.just(b""),
    st.just("caf\xe9".encode("latin-1")),
    st.just(b"\xef\xbb\xbf"),  # a BOM and nothing else
    st.just(b"[" * 5000),  # nested deeper than any parser recurses
)
entries = st.one_of(
    st.tuples(st.just("file"), file_contents),
    st.tuples(
        st.sampled_from(["link-out", "link-in", "link-loop", "link-broken", "link-dir", "fifo"]),
        st.just(b""),
    ),
    st.tuples(st.just("dir"), st.just(b"")),
)
folders = st.dictionaries(st.sampled_from(NAMES), entries, min_size=1, max_size=6)


def make(root: Path, spec: dict[str, tuple[str, bytes]]) -> None:
    outside = root.parent / "outside.md"
    outside.write_text(f"# Outside\n\n{SECRET} must never be loaded.\n")
    (root.parent / ".env").write_text(f"PASSWORD={SECRET}\n")
    for name, (kind, content) in spec.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "file":
            path.write_bytes(content)
        elif kind == "dir":
            path.mkdir()
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "link-out":
            path.symlink_to(
                outside
                if len(name) % 2
                else Path(os.path.relpath(root.parent / ".env", path.parent))
            )
        elif kind == "link-in":
            path.symlink_to(root / "README.md")
        elif kind == "link-loop":
            path.symlink_to(path)
        elif kind == "link-broken":
            path.symlink_to(root / "missing.md")
        else:
            path.symlink_to(root / "articles" if name != "articles" else root)


def leaked(knowledge: Knowledge) -> bool:
    told = [p.text for p in knowledge.passages] + [p.title for p in knowledge.passages]
    told += [c.name for c in knowledge.customers] + [knowledge.partner.name]
    return any(SECRET in text for text in told)


@settings(
    max_examples=int(os.environ.get("BROKEN_FOLDERS", "1000")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(folders)
def test_no_knowledge_folder_crashes_the_loader_or_check(spec):
    with tempfile.TemporaryDirectory(dir=FAST_TMP) as tmp:
        root = Path(tmp) / "knowledge"
        root.mkdir()
        make(root, spec)

        knowledge = load_knowledge(root)
        result = CliRunner().invoke(cli, ["check", str(root)])

    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1)
    for problem in knowledge.problems:
        assert PROBLEM.match(str(problem)), str(problem)
        assert ".." not in Path(problem.path).parts
        assert "unexpected error" not in problem.message, str(problem)  # a crash, caught
    assert not leaked(knowledge)
    assert result.output.count(f"{root.as_posix()}/") >= len(knowledge.problems)
