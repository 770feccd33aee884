"""Place names, for questions that ask for a country or a state ("Which country ...?").

A capitalised word is a weak hint when every news sentence holds a few; a country or state
named in a passage that the question does not already name is a strong one. The lists are
complete general gazetteers (the sovereign states with the names news uses for them, the
50 US states), not chosen from any questions.
"""

from __future__ import annotations

import re

COUNTRIES = frozenset("""
Afghanistan|Albania|Algeria|America|Andorra|Angola|Antigua and Barbuda|Argentina|Armenia|
Australia|Austria|Azerbaijan|Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|
Benin|Bhutan|Bolivia|Bosnia and Herzegovina|Botswana|Brazil|Britain|Brunei|Bulgaria|
Burkina Faso|Burma|Burundi|Cambodia|Cameroon|Canada|Cape Verde|Central African Republic|
Chad|Chile|China|Colombia|Comoros|Congo|Costa Rica|Croatia|Cuba|Cyprus|Czech Republic|
Czechia|Denmark|Djibouti|Dominica|Dominican Republic|East Timor|Ecuador|Egypt|El Salvador|
England|Equatorial Guinea|Eritrea|Estonia|Eswatini|Ethiopia|Fiji|Finland|France|Gabon|
Gambia|Georgia|Germany|Ghana|Greece|Greenland|Grenada|Guatemala|Guinea|Guinea-Bissau|Guyana|
Haiti|Honduras|Hong Kong|Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|Israel|Italy|
Ivory Coast|Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kiribati|Kosovo|Kuwait|Kyrgyzstan|Laos|
Latvia|Lebanon|Lesotho|Liberia|Libya|Liechtenstein|Lithuania|Luxembourg|Madagascar|Malawi|
Malaysia|Maldives|Mali|Malta|Marshall Islands|Mauritania|Mauritius|Mexico|Micronesia|
Moldova|Monaco|Mongolia|Montenegro|Morocco|Mozambique|Myanmar|Namibia|Nauru|Nepal|
Netherlands|New Zealand|Nicaragua|Niger|Nigeria|North Korea|North Macedonia|
Northern Ireland|Norway|Oman|Pakistan|Palau|Palestine|Panama|Papua New Guinea|Paraguay|Peru|
Philippines|Poland|Portugal|Puerto Rico|Qatar|Romania|Russia|Rwanda|Saint Kitts and Nevis|
Saint Lucia|Saint Vincent and the Grenadines|Samoa|San Marino|Sao Tome and Principe|
Saudi Arabia|Scotland|Senegal|Serbia|Seychelles|Sierra Leone|Singapore|Slovakia|Slovenia|
Solomon Islands|Somalia|South Africa|South Korea|South Sudan|Spain|Sri Lanka|Sudan|Suriname|
Sweden|Switzerland|Syria|Taiwan|Tajikistan|Tanzania|Thailand|Togo|Tonga|
Trinidad and Tobago|Tunisia|Turkey|Turkmenistan|Tuvalu|Türkiye|U.K.|U.S.|UK|US|USA|Uganda|
Ukraine|United Arab Emirates|United Kingdom|United States|Uruguay|Uzbekistan|Vanuatu|
Vatican|Venezuela|Vietnam|Wales|Yemen|Zambia|Zimbabwe
""".replace("\n", "").split("|"))

US_STATES = frozenset("""
Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|
Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|
Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|
New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|
Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|
West Virginia|Wisconsin|Wyoming
""".replace("\n", "").split("|"))


def _pattern(names: frozenset[str]) -> re.Pattern[str]:
    longest_first = sorted(names, key=len, reverse=True)  # "West Virginia" before "Virginia"
    return re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, longest_first)) + r")(?!\w)")


COUNTRY = _pattern(COUNTRIES)
US_STATE = _pattern(US_STATES)
ANY_PLACE = _pattern(COUNTRIES | US_STATES)
_ASKS = r"\b(?:which|what)\s+(?:\w+\s+){0,2}?(?:%s)\b"
ASKS_COUNTRY = re.compile(_ASKS % "country|countries|nation|nations", re.IGNORECASE)
ASKS_STATE = re.compile(_ASKS % "state|states", re.IGNORECASE)
ASKS_WHERE = re.compile(r"\bwhere\b", re.IGNORECASE)


def asked_places(question: str) -> re.Pattern[str] | None:
    """The place names that answer the question, when it asks for a place."""
    if ASKS_WHERE.search(question):
        return ANY_PLACE
    if ASKS_COUNTRY.search(question):
        return COUNTRY
    if ASKS_STATE.search(question):
        return US_STATE
    return None


def new_places(asked: re.Pattern[str], text: str, question: str) -> frozenset[str]:
    """The places of the asked kind that ``text`` names and the question does not."""
    return frozenset(asked.findall(text)) - frozenset(asked.findall(question))
