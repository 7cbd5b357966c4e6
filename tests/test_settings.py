"""When answers come from an LLM, as configured by environment variables."""

import pytest

from rag.settings import Settings


def make(monkeypatch, **env) -> Settings:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return Settings(_env_file=None)


def test_no_llm_variables_means_extractive(monkeypatch):
    s = make(monkeypatch)
    assert not s.llm_configured() and not s.use_llm()


def test_an_openai_key_alone_does_not_switch_to_a_paid_api(monkeypatch):
    s = make(monkeypatch, OPENAI_API_KEY="sk-test")
    assert s.llm_key() == "sk-test" and not s.use_llm()


@pytest.mark.parametrize("env", [
    {"PODRAG_LLM_BASE_URL": "http://127.0.0.1:11434/v1"},
    {"PODRAG_LLM_MODEL": "gpt-4o-mini", "OPENAI_API_KEY": "sk-test"},
])
def test_a_base_url_or_a_model_switches_answers_to_the_llm(monkeypatch, env):
    s = make(monkeypatch, **env)
    assert s.llm_configured() and s.use_llm()
    assert not make(monkeypatch, **env, PODRAG_ANSWERER="extractive").use_llm()


def test_llm_settings_from_the_environment(monkeypatch):
    s = make(monkeypatch, PODRAG_LLM_BASE_URL="http://127.0.0.1:8080/v1", PODRAG_LLM_API_KEY="k",
             OPENAI_API_KEY="other", PODRAG_LLM_TIMEOUT="12.5", PODRAG_LLM_MAX_RETRIES="1")
    assert s.llm_key() == "k" and s.llm_timeout == 12.5 and s.llm_max_retries == 1
    assert s.llm_place() == "127.0.0.1:8080"
    assert make(monkeypatch, PODRAG_LLM_BASE_URL="").llm_place() == "api.openai.com"


def test_an_empty_variable_is_unset_not_the_working_directory(monkeypatch):
    s = make(monkeypatch, PODRAG_INDEX="", PODRAG_CACHE="", PODRAG_MOMENT_MODEL="")
    default = Settings.model_fields
    assert s.index == default["index"].default and s.cache == default["cache"].default
    assert s.moment_model == default["moment_model"].default
