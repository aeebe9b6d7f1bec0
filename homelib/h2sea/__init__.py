"""H2SEA (Ding et al. 2021): socioeconomic attributes from a home location.

Modules, in the order of the book:

* ``world`` - the simulated survey of China (PPS sampling, night check-ins, attributes);
* ``collection`` - the simulated collection around each home (listings, statistics, POIs);
* ``sources`` - the schemas of the collected tables and loaders for real ones;
* ``features`` - the feature table of Sec 3 (prices within 2 km, statistics, POI mix, names);
* ``models`` - H2SEA, H2SEA-NA, ETNA, LR, XGBoost, POP as scikit-learn style estimators;
* ``protocol`` - the Sec 5.1 protocol (splits, validation-only tuning, repeats, paired tests);
* ``analyses`` - Table 4 feature importance, Table 5 city vs village, sensitivity;
* ``housing`` - Sec 6, housing price vs income;
* ``calibration``, ``simulated`` - the simulated world against the paper, and the wiring;
* ``report`` - chapter tables and figures.

Study modules (``sources``, ``features``, ``models``, ``protocol``, ``analyses``,
``housing``) take tables as arguments and never import the simulator.
"""
