"""The channel-neutral core. A turn's path: an adapter's `Message` -> `app.Assistant.respond`
-> `answering.decide` (reading `understanding`, `retrieval`, `invoices`) -> one commit
through `storage` (`turn`); what goes out later leaves through the `channel.Channel` port."""
