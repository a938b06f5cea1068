from concurrent.futures import ThreadPoolExecutor

from bot.retrieval.lexical import LexicalIndex, Tokenizer


def test_words_are_stemmed_and_stop_words_dropped():
    assert Tokenizer()("When are the invoices issued?") == ["invoic", "issu"]


def test_one_tokenizer_serves_many_threads():
    tokenize = Tokenizer()
    texts = [f"cancelling subscriptions and licences number {i}" for i in range(2000)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(tokenize, texts))
    assert results == [["cancel", "subscript", "licens", "number", str(i)] for i in range(2000)]


def test_british_spellings_and_seats_read_as_the_articles_words():
    tokenize = Tokenizer()
    assert tokenize("two more licences") == tokenize("two more licenses")
    assert tokenize("reduce our seats") == tokenize("reduce our licenses")


def test_contractions_chat_words_and_policy_name_no_topic():
    # carried by no article, they would sink every article's share of the question's words
    tokenize = Tokenizer()
    assert tokenize("whats ur refund policy pls") == tokenize("refund") == ["refund"]
    assert tokenize("what's the hourly rate") == tokenize("the hourly rate")


def test_bm25_scores_only_passages_sharing_a_word():
    index = LexicalIndex(["the invoice is due in 30 days", "cancel within seven days", "card"])
    scores = index.scores("when is my invoice due")
    assert scores[0] > 0 and scores[1] == 0 and scores[2] == 0
    assert not index.scores("weather").any()
