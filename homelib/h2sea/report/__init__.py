"""Chapter tables and figures of the H2SEA part (the report layer).

``survey`` (chapters 01-02), ``models`` (03-05) and ``housing`` (06). Only
notebooks import these modules; they may import every H2SEA module.
"""
