"""Scenario schema (pydantic v2). Keys carry their units; catalog entries are referenced by name."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Raid(_Strict):
    """Threats from one launch point to one target."""

    name: str | None = None
    missile: str = Field(description="catalog name, see `bmdsim missiles`")
    launch: str = Field(description="site name or 'LAT,LON' in degrees")
    target: str = Field(description="site name or 'LAT,LON' in degrees")
    profile: str = "minimum-energy"
    launch_time_s: float = Field(0.0, ge=0.0)
    count: int = Field(1, ge=1, le=1000)
    decoys: int = Field(0, ge=0, le=100)

    @field_validator("profile")
    @classmethod
    def _profile(cls, v: str) -> str:
        allowed = ("minimum-energy", "lofted", "depressed", "maximum-range")
        if v not in allowed:
            raise ValueError(f"use one of {', '.join(allowed)}")
        return v


class Scenario(_Strict):
    schema_version: int = Field(SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)
    name: str
    description: str = ""
    epoch_utc: datetime
    seed: int = Field(0, ge=0)
    threats: list[Raid] = Field(default_factory=list)
