"""`Answerer.decide`: what the bot would say to one question, with no side effects.

The order is the product's policy: a request for a person or a matching escalation rule
wins; then the customer's own invoices; then the knowledge articles, answered only when
confident, else "not sure"; a message with no billing meaning at all is declined.
Evaluation calls this directly, so measuring the bot never opens a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from bot.answering import invoices as invoice_answers
from bot.answering.extract import extract
from bot.answering.invoice_questions import InvoiceQuestion, classify
from bot.answering.scope import CategoryMatch, ScopeGate, sounds_like_billing
from bot.knowledge.customers import Customer
from bot.knowledge.folder import Knowledge
from bot.retrieval.index import Hit, SearchIndex
from bot.types import Citation, Reply, ReplyKind

# Below this confidence, the best article is unrelated to the message.
UNRELATED = 0.25


def confidence_of(hit: Hit) -> float:
    """How sure the bot is that `hit` answers: meaning (cosine similarity) and words (does the
    article use the question's words?) must agree. A long off-topic post can be close in
    meaning to some article but uses words no article has; a short question uses the
    article's words but sits further from any passage in the embedding space."""
    return (hit.similarity + hit.coverage) / 2


@dataclass(frozen=True, slots=True)
class Decision:
    reply: Reply
    escalation: CategoryMatch | None = None
    hits: tuple[Hit, ...] = ()


class Answerer:
    def __init__(
        self, knowledge: Knowledge, index: SearchIndex, gate: ScopeGate, threshold: float
    ) -> None:
        self.knowledge = knowledge
        self.index = index
        self.gate = gate
        self.threshold = threshold

    def decide(
        self,
        text: str,
        customer: Customer | None,
        *,
        agent: bool = False,
        today: date,
        language: str = "en",
    ) -> Decision:
        query = self.index.embed_query(text)
        hits = tuple(
            self.index.search(text, k=5, include_agent=agent, query_vector=query, language=language)
        )
        top = hits[0] if hits else None
        evidence = tuple(
            f"{h.passage.path} › {h.passage.section} ({h.similarity:.2f})" for h in hits[:3]
        )

        match = self.gate.escalation(text, query)
        explicit = match is not None and match.similarity >= 1.0  # asked for a person
        kind = classify(text)

        if kind is not None and not explicit:
            if customer is None:
                return Decision(
                    Reply(
                        "Which customer is this about? I answer invoice questions only for a known "
                        "customer account.",
                        ReplyKind.NOT_SURE,
                        0.0,
                    ),
                    None,
                    hits,
                )
            found = invoice_answers.answer(
                kind,
                text,
                customer,
                self.knowledge.invoices_of(customer.id),
                self.knowledge.partner.collections,
                today,
            )
            citations = self._policy_citation(kind)
            return Decision(
                Reply(
                    found.text,
                    ReplyKind.INVOICE,
                    1.0,
                    citations,
                    found.table,
                    evidence=found.evidence,
                ),
                None,
                hits,
            )

        confidence = confidence_of(top) if top else 0.0
        confident = top is not None and confidence >= self.threshold
        # A rule match escalates unless an article answers the message better and surely:
        # "how do I dispute an invoice?" is policy, "I want to dispute NW-…" is a request.
        if match and (explicit or not confident or match.similarity >= top.similarity):
            invoice_evidence = (
                invoice_answers.escalation_evidence(text, self.knowledge.invoices_of(customer.id))
                if customer
                else ()
            )
            route = self.knowledge.rules.routes.get(match.category.route)
            route_name = route.name if route else match.category.route
            reply = Reply(
                f"This needs a person: {match.category.name.lower()}, handled by {route_name}.",
                ReplyKind.ESCALATE,
                match.similarity,
                evidence=evidence + invoice_evidence,
            )
            return Decision(reply, match, hits)

        if confident:
            passage = top.passage
            body = extract(passage.text, text, self.index.lexical.tokenizer(passage.language))
            reply = Reply(
                body, ReplyKind.ANSWER, confidence, (passage.citation,), evidence=evidence
            )
            return Decision(reply, None, hits)

        if confidence < UNRELATED and not sounds_like_billing(text):
            return Decision(
                Reply(
                    f"I handle billing questions for {self.knowledge.partner.name}: invoices, "
                    "payments, licences and our support policies. Would you like to talk to a "
                    "person instead?",
                    ReplyKind.OUT_OF_SCOPE,
                    confidence,
                ),
                None,
                hits,
            )
        return Decision(
            Reply(
                "I'm not sure I can answer that correctly from our documentation. Shall I open a "
                "ticket so a person from our billing team can help?",
                ReplyKind.NOT_SURE,
                confidence,
                evidence=evidence,
            ),
            None,
            hits,
        )

    def _policy_citation(self, kind: InvoiceQuestion) -> tuple[Citation, ...]:
        """Answers about what is due or overdue cite the collections policy they apply."""
        if kind not in (
            InvoiceQuestion.OVERDUE,
            InvoiceQuestion.DUE,
        ):
            return ()
        return self._collections_citation

    @cached_property
    def _collections_citation(self) -> tuple[Citation, ...]:
        hits = self.index.search(
            "collections policy: suspension for non-payment", k=1, language="en"
        )
        return (hits[0].passage.citation,) if hits else ()
