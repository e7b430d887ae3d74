# Type stubs for the part of PyLD (which ships no type information) that the strictly checked modules use.
from . import jsonld as jsonld
