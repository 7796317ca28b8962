"""Small CSV files in the shapes schools export, made here rather than shipped."""

ONDE_HEADER = (
    "Nom élève;Prénom élève;Date naissance;Sexe;INE;Niveau;Classe;Cycle;"
    "Nom resp. légal 1;Prénom resp. légal 1;Courriel resp. légal 1;Téléphone portable resp. légal 1;"
    "Lien resp. légal 1;Nom resp. légal 2;Prénom resp. légal 2;Courriel resp. légal 2;"
    "Téléphone portable resp. légal 2;Lien resp. légal 2"
)
ONDE_ROWS = [
    "DUPONT;Émile;12/03/2017;M;123456789AB;CE2;CE2;3;DUPONT;Claire;claire.dupont@example.org;06 12 34 56 78;"
    "MERE;DUPONT;Hervé;;06 98 76 54 32;PERE",
    "DUPONT;Rose;05/11/2019;F;123456789AC;CP;CP;2;DUPONT;Claire;claire.dupont@example.org;06 12 34 56 78;MERE;;;;;",
    "N'GUYEN;Lê;30/01/2017;F;123456789AD;CE2;CE2;3;N'GUYEN;Thi;;07 81 22 33 44;MERE;;;;;",
]


def onde(rows=None, *, encoding="latin-1", header=ONDE_HEADER) -> bytes:
    """An ONDE export: semicolons, Latin-1, CRLF."""
    lines = [header] + list(ONDE_ROWS if rows is None else rows)
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


SIECLE_HEADER = (
    "NOM DE FAMILLE,PRENOM 1,DATE NAISS,ID NATIONAL,DIVISION,MEF,"
    "NOM REPRESENTANT LEGAL 1,PRENOM REPRESENTANT LEGAL 1,COURRIEL REPRESENTANT LEGAL 1,"
    "TEL PORTABLE REPRESENTANT LEGAL 1,LIEN REPRESENTANT LEGAL 1"
)
SIECLE_ROWS = [
    "LEFEVRE,Inès,14/02/2014,0987654321Z,5E A,5EME,LEFEVRE,Karim,k.lefevre@example.org,0611111111,PERE",
    "MOREAU,Jules,21/09/2013,0987654322Y,4E B,4EME,MOREAU,Anne,,0622222222,MERE",
    '"DA SILVA","Ana Lúcia",01/06/2014,0987654323X,5E A,5EME,"DA SILVA",Rui,rui@example.org,,PERE',
]


def siecle(rows=None, *, header=SIECLE_HEADER) -> bytes:
    """A SIECLE export: commas, UTF-8 with a BOM."""
    lines = [header] + list(SIECLE_ROWS if rows is None else rows)
    return "\ufeff".encode() + ("\n".join(lines) + "\n").encode("utf-8")


STS_HEADER = "Civilité;Nom;Prénom;Courriel;Fonction;Discipline;Classes"
STS_ROWS = [
    "Mme;LEROUX;Martine;m.leroux@example.org;Enseignant;Mathématiques;5E A,4E B",
    "M.;BLANC;Paul;p.blanc@example.org;ENS;Français;5E A",
    "Mme;PERRIN;Sylvie;s.perrin@example.org;Secrétariat;;",
]


def sts(rows=None, *, header=STS_HEADER) -> bytes:
    lines = [header] + list(STS_ROWS if rows is None else rows)
    return ("\n".join(lines) + "\n").encode("utf-8")
