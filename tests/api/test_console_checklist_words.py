"""Every fact the examination checklist states has its sentence in both languages, with
every value it mentions (a missing or misspelt placeholder fails here, not on a clerk)."""

from __future__ import annotations

from flask import Flask
from hypothesis import given, settings

from ipx.console import i18n
from ipx.console.checklist_words import FACT_WORDS, GROUND_TITLES, fact_sentence, ground_title
from ipx.registry.model import Ground, checklist
from tests.unit.test_examination_checklist import ON, applications


def test_every_fact_of_the_checklist_has_words_in_both_languages(tmp_path):
    app = Flask(__name__, instance_path=str(tmp_path))
    i18n.init_app(app)
    seen: set[str] = set()

    @settings(max_examples=300, deadline=None)
    @given(applications())
    def check(facts):
        for language in ("zh", "en"):
            with app.test_request_context(f"/?lang={language}"):
                for found in checklist(facts, ON):
                    assert ground_title(found.ground)
                    for fact in found.facts:
                        sentence = fact_sentence(fact)
                        assert sentence and "%(" not in sentence, (fact, sentence)
                        seen.add(fact.code)

    check()
    assert set(GROUND_TITLES) == set(Ground)
    assert seen <= set(FACT_WORDS) and len(seen) > len(FACT_WORDS) / 2  # many situations met
