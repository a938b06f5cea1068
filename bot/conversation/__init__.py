"""One customer conversation: where it is (the stored reference proactive messages need) and
what the bot keeps between its turns (`ConversationState`)."""
