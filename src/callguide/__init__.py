"""callguide: should I call the police about a child in care? Rules from the Northamptonshire joint protocol."""

__version__ = "0.1.0"
