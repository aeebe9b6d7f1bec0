"""PFLI (Han et al.): predicting a hidden current city from profile and friends.

Modules, in the order of the book:

* ``data`` - the social network container and loaders for real tables;
* ``world`` - the simulated Facebook-like world (places, hometowns, organisations,
  Backstrom-style friendships, visibility);
* ``model`` - PLI, LA-FLI, LN-FLI and PFLI (Eq 1-7) and their training (Sec 5.3);
* ``clusters`` - UPGMA location clusters and the selectors (Sec 6, Algorithm 1);
* ``baselines`` - Base_dist, Base_ann, Base_freq, Base_freq+, Base_knn (Sec 7.1.2);
* ``evaluation`` - cross-validated prediction, AED@p and ACC@K (Sec 7);
* ``simulated`` - the wiring world -> evaluation; ``report`` - chapter figures and maps.

Study modules (``data``, ``model``, ``clusters``, ``baselines``, ``evaluation``)
take a world as an argument and never import the simulator.
"""
