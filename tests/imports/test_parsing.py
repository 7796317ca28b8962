from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ent.directory.imports.parsing import PUPILS, STAFF, parse_bytes
from tests.imports import samples


def codes(issues):
    return {(i["line"], i["field"], i["code"]) for i in issues}


def test_onde_latin1_semicolons():
    parsed = parse_bytes(samples.onde(), PUPILS)
    assert parsed.errors == []
    assert (parsed.encoding, parsed.delimiter) == ("windows-1252", ";")
    assert parsed.total_rows == 3
    first = parsed.rows[0]
    assert first.values["first_name"] == "Émile"
    assert first.values["ine"] == "123456789AB"
    assert first.values["birth_date"].isoformat() == "2017-03-12"
    assert [g["first_name"] for g in first.guardians] == ["Claire", "Hervé"]
    assert first.guardians[0]["email"] == "claire.dupont@example.org"
    assert first.guardians[1]["relationship"] == "PERE"
    assert len(parsed.rows[1].guardians) == 1  # an empty second guardian is no guardian


def test_siecle_utf8_bom_commas_and_quotes():
    parsed = parse_bytes(samples.siecle(), PUPILS)
    assert parsed.errors == []
    assert (parsed.encoding, parsed.delimiter) == ("utf-8", ",")
    assert parsed.rows[2].values["first_name"] == "Ana Lúcia"
    assert parsed.rows[2].values["class_name"] == "5E A"
    assert parsed.rows[0].guardians[0]["phone"] == "+33611111111"  # stored in E.164


def test_headers_are_case_and_accent_insensitive():
    header = "nom;PRENOM;date de naissance;CLASSE;ine"
    parsed = parse_bytes(f"{header}\nMartin;Léa;01/02/2015;CM1;123456789AB\n".encode(), PUPILS)
    assert parsed.errors == []
    assert parsed.rows[0].values["class_name"] == "CM1"


def test_staff_file():
    parsed = parse_bytes(samples.sts(), STAFF)
    assert parsed.errors == []
    assert parsed.rows[0].values["classes"] == "5E A,4E B"
    assert parsed.detected_format == "STS"


def test_bad_input_is_reported_by_line_and_field():
    rows = [
        "DUPONT;;12/03/2017;M;123456789AB;CE2;CE2;3;;;;;;;;;;",  # no first name
        "MARTIN;Léo;31/02/2017;M;12AB;CE2;CE2;3;MARTIN;;pas-un-email;abc;;;;;;",
    ]
    parsed = parse_bytes(samples.onde(rows), PUPILS)
    found = codes(parsed.errors)
    assert (2, "first_name", "required") in found
    assert (3, "birth_date", "bad_date") in found
    assert (3, "ine", "bad_ine") in found
    assert (3, "g1_first_name", "required") in found
    assert (3, "g1_email", "bad_email") in found
    assert (3, "g1_phone", "bad_phone") in found


def test_unknown_and_missing_columns():
    parsed = parse_bytes(b"Nom;Prenom;Couleur preferee\nA;B;bleu\n", PUPILS)
    assert (1, "header", "unknown_column") in codes(parsed.warnings)
    missing = {i["params"]["column"] for i in parsed.errors if i["code"] == "missing_column"}
    assert missing == {"birth_date", "class_name"}


def test_binary_spreadsheet_encoding_and_size():
    assert parse_bytes(b"PK\x03\x04" + b"\x00" * 100, PUPILS).errors[0]["code"] == "spreadsheet"
    assert parse_bytes(b"%PDF-1.7\n...", PUPILS).errors[0]["code"] == "binary"
    assert parse_bytes(b"\x00\x01\x02nom;prenom", PUPILS).errors[0]["code"] == "binary"
    assert parse_bytes(b"nom;pr\x81\x8d\x8f\x90nom\n", PUPILS).errors[0]["code"] == "encoding"
    assert parse_bytes(b"   \n\n", PUPILS).errors[0]["code"] == "empty"
    huge = b"a" * (20 * 1024 * 1024 + 1)
    assert parse_bytes(huge, PUPILS).errors[0]["code"] == "too_big"


def test_utf16_excel_text_is_read():
    data = "Nom\tPrénom\tDate de naissance\tClasse\nMartin\tLéa\t01/02/2015\tCM1\n".encode("utf-16")
    parsed = parse_bytes(data, PUPILS)
    assert parsed.errors == []
    assert parsed.delimiter == "\t"
    assert parsed.rows[0].values["first_name"] == "Léa"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.binary(max_size=600), kind=st.sampled_from([PUPILS, STAFF]))
def test_any_bytes_give_a_report_never_an_exception(data, kind):
    parsed = parse_bytes(data, kind)
    assert parsed.rows or parsed.errors or parsed.total_rows == 0


header_cells = st.sampled_from(
    ["nom", "Prénom", "date de naissance", "classe", "INE", "Nom resp légal 1", "Courriel RL1", "niveau", "x"]
)
cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=20)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    header=st.lists(header_cells, min_size=1, max_size=9),
    rows=st.lists(st.lists(cells, max_size=10), max_size=6),
    delimiter=st.sampled_from([";", ",", "\t"]),
    encoding=st.sampled_from(["utf-8", "latin-1", "utf-16"]),
)
def test_csv_shaped_text_never_raises(header, rows, delimiter, encoding):
    text = "\n".join(delimiter.join(r) for r in [header, *rows])
    data = text.encode(encoding, errors="replace")
    parsed = parse_bytes(data, PUPILS)
    for issue in parsed.errors + parsed.warnings:
        assert set(issue) == {"line", "field", "code", "params"}
