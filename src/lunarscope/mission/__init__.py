"""The mission file and the pipeline that runs it."""

from .core import Mission, load_mission, mission_from_dict

__all__ = ["Mission", "load_mission", "mission_from_dict"]
