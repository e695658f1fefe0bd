"""The test processes' shared compiles (``tests/conftest.py``) give every app exactly what its
own compile would: each URL rule's parts, variables and converters, each template's code."""

from __future__ import annotations

import marshal

from werkzeug.routing import Map, Rule

from ipx import create_app
from tests.registry_helpers import app_settings


def _app(tmp_path):
    return create_app(app_settings(f"sqlite:///{tmp_path / 'unused.sqlite3'}", tmp_path))


def _compiled(rule: Rule) -> tuple:
    converters = {name: (type(c), c.regex, c.weight) for name, c in rule._converters.items()}
    return rule._parts, rule._trace, converters, rule.arguments


def test_every_rule_of_a_second_app_is_compiled_as_on_its_own(tmp_path):
    _app(tmp_path)  # the first app fills the cache
    url_map = _app(tmp_path).url_map
    original = Rule.compile.original
    for rule in url_map.iter_rules():
        alone = rule.empty()
        alone.map = url_map  # bound as Map.add binds it, compiled without the cache
        alone.strict_slashes, alone.merge_slashes = rule.strict_slashes, rule.merge_slashes
        alone.subdomain = rule.subdomain
        original(alone)
        assert _compiled(rule) == _compiled(alone), rule.rule


def test_a_rule_with_defaults_keeps_its_variables_when_one_without_follows():
    with_default = Map([Rule("/pages/<int:page>", defaults={"page": 1}, endpoint="a")])
    without = Map([Rule("/pages/<int:page>", endpoint="b")])
    assert {
        r.endpoint: r.arguments for r in [*with_default.iter_rules(), *without.iter_rules()]
    } == {
        "a": {"page"},
        "b": {"page"},
    }


def test_every_template_a_second_app_loads_is_the_code_its_own_compile_makes(tmp_path):
    first, second = _app(tmp_path), _app(tmp_path)
    names = first.jinja_env.list_templates(filter_func=lambda name: name.endswith(".html"))
    assert names, "the console has templates"
    for name in names:
        first.jinja_env.get_template(name)  # into the shared cache
    environment = second.jinja_env
    for name in names:
        source, filename, _ = environment.loader.get_source(environment, name)
        bucket = environment.bytecode_cache.get_bucket(environment, name, filename, source)
        assert bucket.code is not None, name  # from the cache
        own = environment.compile(source, name, filename)
        assert marshal.dumps(bucket.code) == marshal.dumps(own), name
