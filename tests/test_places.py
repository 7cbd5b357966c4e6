"""Ways to say a place, and the places inside it (rag/places.py, rag/gazetteer.py)."""

from __future__ import annotations

import collections

from rag.gazetteer import CITIES, CONTINENTS, US_STATES
from rag.places import is_place, names_place, places_within, related_places, same_place


def test_a_state_holds_its_cities_and_a_region_its_countries_with_their_other_names():
    assert {"memphis", "nashville"} <= places_within("Tennessee")
    assert "houston" not in places_within("Tennessee")
    assert {"india", "indian", "pakistan", "delhi"} <= places_within("south asia")
    assert "china" not in places_within("South Asia")
    assert {"san francisco", "palo alto"} <= places_within("Bay Area")


def test_containment_goes_all_the_way_down_and_never_up():
    # the United States holds its states, which hold their cities, whichever way the country is said
    for us in ("United States", "America", "USA"):
        assert {"texas", "abilene", "memphis"} <= places_within(us), us
    assert {"china", "shanghai", "taiwan", "taipei", "japan"} <= places_within("Asia")
    assert "texas" not in places_within("Memphis") and places_within("Memphis") == frozenset()
    assert "asia" not in places_within("China")


def test_a_capital_standing_for_its_country_holds_none_of_its_other_cities():
    # "notify Washington" is said where "the US government" is (same_place), not wherever an American city is
    assert "america" in same_place("Washington") and "memphis" not in places_within("Washington")
    assert "seattle" in places_within("Washington")  # the state's cities still are
    assert "china" in same_place("Beijing") and not places_within("Beijing")
    assert "shenzhen" in places_within("China") and "osaka" in places_within("Japan")
    assert not places_within("Tokyo") and not places_within("Moscow")


def test_a_place_is_not_inside_itself():
    assert not places_within("South Korea") & same_place("South Korea")
    assert "korea" not in places_within("korea") and "seoul" not in places_within("korea")  # Seoul is its capital


def test_places_that_hold_others_are_places_and_their_cities_are_left_to_the_episodes_casing():
    assert is_place("Tennessee") and is_place("south asia") and is_place("Bay Area") and is_place("japan")
    assert is_place("Vermont") and "vermont" in places_within("America")  # a state without a city of 100,000
    assert not is_place("Memphis") and not is_place("the") and not is_place("")


def test_the_generated_table_lists_no_city_two_ways():
    owners = collections.Counter(city for cities in CITIES.values() for city in cities)
    assert [c for c, n in owners.items() if n > 1] == []
    # a city named like a state or a country would make either look said ("Washington", "Jamaica")
    countries = {country for countries in CONTINENTS.values() for country in countries}
    assert not set(owners) & (countries | set(US_STATES))


def test_any_listed_place_is_named_and_places_relate_by_name_and_containment():
    assert names_place("Memphis") and names_place("Abilene") and names_place("Texas") and names_place("US")
    assert not names_place("us") and not names_place("Stargate")  # the pronoun, and not a place
    assert related_places("Memphis", "Tennessee") and related_places("Tennessee", "Memphis")
    assert related_places("US", "Arizona") and related_places("China", "Beijing")
    assert not related_places("Memphis", "Texas") and not related_places("Japan", "US")
