"""ui/access.py: loopback by default; another address needs a password or an explicit --insecure."""

import pytest

from ui.access import AccessError, exposure_warning, is_loopback, parse_auth


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
def test_loopback_addresses(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.org", "10.0.0.1"])
def test_other_addresses_are_not_loopback(host):
    assert not is_loopback(host)


def test_parse_auth():
    assert parse_auth("lex:pa:ss") == ("lex", "pa:ss")
    assert parse_auth(None) is None and parse_auth("  ") is None
    for bad in ("lex", "lex:", ":secret"):
        with pytest.raises(AccessError, match="expected user:password"):
            parse_auth(bad)


def test_loopback_needs_nothing():
    assert exposure_warning("127.0.0.1", None, insecure=False) is None


def test_open_address_without_password_is_refused_with_the_ways_out():
    with pytest.raises(AccessError) as exc:
        exposure_warning("0.0.0.0", None, insecure=False)
    assert "refusing to serve on 0.0.0.0 without a password" in str(exc.value)
    assert "--auth" in str(exc.value) and "--insecure" in str(exc.value)


def test_insecure_opt_in_starts_with_a_loud_warning():
    warning = exposure_warning("0.0.0.0", None, insecure=True)
    assert warning.startswith("WARNING: serving on 0.0.0.0 WITHOUT a password")


def test_password_on_an_open_address_notes_plain_http():
    assert "plain HTTP" in exposure_warning("0.0.0.0", ("lex", "secret"), insecure=False)
