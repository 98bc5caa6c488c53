"""Territories: régions, départements, EPCI, communes and the codes that resolve to a commune."""

from typing import Any

from sqlmodel import Field, SQLModel

from models.columns import json_field


class Region(SQLModel, table=True):
    """A région (18) or an overseas collectivity kept at région level (zone `com`)."""

    __tablename__ = "region"

    code: str = Field(primary_key=True, max_length=3)
    nom: str
    chef_lieu: str | None = Field(default=None, max_length=5)
    zone: str = Field(max_length=8)  # metro | drom | com


class Departement(SQLModel, table=True):
    """A département (101) or an overseas collectivity (zone `com`)."""

    __tablename__ = "departement"

    code: str = Field(primary_key=True, max_length=3)
    nom: str
    region_code: str = Field(foreign_key="region.code", index=True, max_length=3)
    chef_lieu: str | None = Field(default=None, max_length=5)
    zone: str = Field(max_length=8)


class Epci(SQLModel, table=True):
    """An établissement public de coopération intercommunale, keyed by its SIREN."""

    __tablename__ = "epci"

    code: str = Field(primary_key=True, max_length=9)
    nom: str
    type: str = Field(max_length=8)  # CC | CA | CU | METRO | MET69
    population: int | None = None


class Commune(SQLModel, table=True):
    """A current commune or a municipal arrondissement (Paris, Lyon, Marseille)."""

    __tablename__ = "commune"

    code: str = Field(primary_key=True, max_length=5)
    nom: str
    # lower-case, accents removed, punctuation as spaces: what name search compares against
    nom_recherche: str = Field(index=True)
    type: str = Field(max_length=32, index=True)  # commune-actuelle | arrondissement-municipal
    departement_code: str = Field(foreign_key="departement.code", index=True, max_length=3)
    region_code: str = Field(foreign_key="region.code", index=True, max_length=3)
    epci_code: str | None = Field(default=None, foreign_key="epci.code", index=True, max_length=9)
    parent_code: str | None = Field(default=None, index=True, max_length=5)
    zone: str = Field(max_length=8)
    codes_postaux: list[Any] = json_field(default=[])
    # postcodes joined by spaces, so a postcode filter is a LIKE on both databases
    codes_postaux_texte: str = Field(default="", index=True)
    population: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    centroide_origine: str | None = Field(default=None, max_length=24)


class CommuneAlias(SQLModel, table=True):
    """A code that is not a current commune but resolves to one.

    Former codes of merged communes (`ancien-code`), delegated and associated communes, and
    municipal arrondissements.
    """

    __tablename__ = "commune_alias"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, max_length=5)
    kind: str = Field(max_length=32)
    nom: str
    commune_code: str = Field(foreign_key="commune.code", index=True, max_length=5)
