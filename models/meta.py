"""Key-value facts about the store itself (data version, loaded territory file)."""

from sqlmodel import Field, SQLModel


class Meta(SQLModel, table=True):
    """One fact about the store, e.g. `data_version` or `territories_sha256`."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str
