"""Paper to code: every equation, algorithm, table and figure of both papers.

One registry, :data:`PAPER_ITEMS`, maps each numbered item of the two papers
("H2SEA Eq 3", "PFLI Alg 1", "PFLI Table 7", ...) and the unnumbered methods
the book implements (the Sec 2 home rule, the Sec 7.1.3 metrics) to the
functions that implement it, the tests that check it and the chapter where the
reader meets it. The book's "Paper to code" page is generated from it
(:func:`render_markdown`), and ``tests/test_registry.py`` checks that every
function and test named here exists and that the page is up to date, so the
page cannot go stale.

Both papers number their equations from 1, so an item is always named with its
paper: "H2SEA Eq 5" is the attention layer, "PFLI Eq 5" the profile and
friends combination.

Examples
--------
>>> item("H2SEA Eq 10").code[0]
'homelib.h2sea.models.paper_class_weights'
>>> sorted({i.paper for i in PAPER_ITEMS})
['H2SEA', 'PFLI']
>>> len([i for i in PAPER_ITEMS if i.kind == "Eq" and i.paper == "PFLI"])
9
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PaperItem", "PAPER_ITEMS", "item", "items_of", "render_markdown"]

KINDS = ("Eq", "Alg", "Table", "Fig", "Sec")


@dataclass(frozen=True)
class PaperItem:
    """One item of a paper and where it lives in the book.

    Parameters
    ----------
    paper : {"H2SEA", "PFLI"}
        The paper (H2SEA: Ding et al. 2021; PFLI: Han et al.).
    kind : {"Eq", "Alg", "Table", "Fig", "Sec"}
        Equation, algorithm, table, figure, or an unnumbered method of a section.
    number : str
        The number as printed ("3", "5-7" for a group, "7.1.3" for a section).
    title : str
        What the item is, in a few words.
    code : tuple of str
        Dotted paths of the functions or classes that implement it (empty for
        an item that is not regenerated; ``note`` then says why).
    tests : tuple of str
        ``tests/<file>.py::<test>`` of the tests that check it.
    chapter : str
        The notebook (``NN_name``) or book page where the reader meets it.
    note : str
        The reading the book takes where the paper leaves a choice, or why the
        item is not regenerated.

    Examples
    --------
    >>> PaperItem("PFLI", "Eq", "8", "EP@K", ("homelib.exposure.features.ep_at_k",),
    ...           (), "09_exposure").key
    'PFLI Eq 8'
    """

    paper: str
    kind: str
    number: str
    title: str
    code: tuple[str, ...]
    tests: tuple[str, ...]
    chapter: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.paper not in ("H2SEA", "PFLI"):
            raise ValueError(f"PaperItem.paper must be 'H2SEA' or 'PFLI'; got {self.paper!r}")
        if self.kind not in KINDS:
            raise ValueError(f"PaperItem.kind must be one of {KINDS}; got {self.kind!r}")
        if not self.code and not self.note:
            raise ValueError(f"{self.key}: an item without code needs a note saying why")

    @property
    def key(self) -> str:
        """The item's name, e.g. ``"H2SEA Eq 3"``."""
        return f"{self.paper} {self.kind} {self.number}"


_H = "homelib.h2sea."
_P = "homelib.pfli."
_E = "homelib.exposure."
_M = "homelib.metrics."

PAPER_ITEMS: tuple[PaperItem, ...] = (
    # ------------------------------------------------------------------ H2SEA
    PaperItem("H2SEA", "Eq", "1", "PPS sampling proportion s_p = 1200 / S_p",
              (_H + "world.eq1_inclusion", _H + "world.systematic_pps"),
              ("tests/test_survey.py::test_eq1_telescopes_to_1200_over_sp",
               "tests/test_survey.py::test_systematic_pps_mean_hits_match_pps"),
              "01_survey"),
    PaperItem("H2SEA", "Sec", "2", "Home from the most visited night check-in",
              (_H + "world.estimate_home", "homelib.realdata.homes.homes_from_checkins"),
              ("tests/test_survey.py::test_estimate_home_mode_and_fallback",
               "tests/test_realdata.py::test_night_rule_combines_with_the_recorded_location"),
              "01_survey"),
    PaperItem("H2SEA", "Sec", "3.1-3.2", "Housing and renting price features within 2 km",
              (_H + "features.price_features", _H + "features.stats_of_prices"),
              ("tests/test_features.py::test_price_features_three_rules",
               "tests/test_features.py::test_price_features_exactly_at_the_radius_edges",
               "tests/test_features.py::test_radius_and_fallback_are_the_papers",
               "tests/test_features.py::test_price_radius_is_two_km_on_hand_built_listings",
               "tests/test_features.py::test_price_fallback_is_ten_km_on_hand_built_listings",
               "tests/test_features.py::test_rent_fallbacks_in_the_feature_table_by_hand"),
              "02_enrich",
              "Missing prices: nearest listing within 10 km, else the city average (the paper "
              "names both fallbacks without an order; the book applies them in this order). "
              "Rent: the city average is the city's mean listed rent (the paper's text says "
              "the nearest known rent at any distance; chapter 03 measures the difference)."),
    PaperItem("H2SEA", "Sec", "3.3", "County income, town budget and tax features",
              (_H + "features.statistics_features",),
              ("tests/test_features.py::test_statistics_fallbacks",), "02_enrich",
              "Unpublished towns take the median of published towns of the same city (the "
              "paper does not say how it filled them)."),
    PaperItem("H2SEA", "Eq", "2", "POI distribution of/OF per category within 2 km",
              (_H + "features.poi_features",),
              ("tests/test_features.py::test_poi_ratio_eq2_by_hand",
               "tests/test_features.py::test_poi_radius_is_two_km_on_hand_built_pois"), "02_enrich"),
    PaperItem("H2SEA", "Sec", "3.5", "Categorical features: zip code, names, urban type",
              (_H + "features.categorical_features",),
              ("tests/test_features.py::test_categorical_names_are_qualified",), "02_enrich"),
    PaperItem("H2SEA", "Eq", "3", "FM-based shared embedding e_fm",
              (_H + "models.FMEmbeddingNet",),
              ("tests/test_models.py::test_fm_pairwise_term_matches_explicit_loop",
               "tests/test_models.py::test_fm_matches_deepctr_torch",
               "tests/test_models.py::test_shared_embedding_holds_the_fm_units",
               "tests/test_models.py::test_etna_has_no_interaction_terms"),
              "03_h2sea",
              "e_fm is read as the first-order units, the bi-interaction vector (whose "
              "coordinates sum to the pairwise term) and the field embeddings; ETNA keeps only "
              "the field embeddings."),
    PaperItem("H2SEA", "Eq", "4", "Per-task dense ReLU layers",
              (_H + "models.FMEmbeddingNet",),
              ("tests/test_models.py::test_stacked_towers_equal_separate_networks",
               "tests/test_models.py::test_folded_first_layer_equals_dense_on_shared_embedding"),
              "03_h2sea"),
    PaperItem("H2SEA", "Eq", "5-7", "Attention layer and the attribute-specific representation",
              (_H + "models.FMEmbeddingNet",),
              ("tests/test_models.py::test_attention_weights_sum_to_one",
               "tests/test_models.py::test_ablations_differ_in_structure"),
              "03_h2sea",
              "Eq 7 writes a scalar u^n; it is read as the attention-weighted vector a^n * d^n "
              "times the layer width (32), followed by a linear layer to the classes; chapter 03 "
              "measures the factor."),
    PaperItem("H2SEA", "Eq", "8", "Softmax prediction layer",
              (_H + "models.NeuralMultiTask",),
              ("tests/test_models.py::test_every_model_shapes",), "03_h2sea"),
    PaperItem("H2SEA", "Eq", "9", "Cross-entropy over the people with a label",
              (_H + "models.h2sea_loss",),
              ("tests/test_models.py::test_loss_hand_computation_with_mask_and_task_weights",
               "tests/test_models.py::test_masking_in_loss_ignores_missing_rows"),
              "03_h2sea"),
    PaperItem("H2SEA", "Eq", "10", "Weighted cross-entropy for imbalanced attributes",
              (_H + "models.paper_class_weights", _H + "models.h2sea_loss"),
              ("tests/test_models.py::test_paper_class_weights_hand_computed",
               "tests/test_models.py::test_is_imbalanced_on_the_papers_shares",
               "tests/test_models.py::test_h2sea_uses_eq10_on_imbalanced_tasks_and_eq9_on_balanced_ones",
               "tests/test_models.py::test_eq10_weights_reach_the_training_loss"),
              "03_h2sea",
              "The printed weight does not depend on the class; its denominator is read as "
              "the class count M_n^k (inverse square-root frequency). Eq 10 is used for the "
              "'quite imbalanced' tasks only (largest class >= 2 x smallest), Eq 9 otherwise."),
    PaperItem("H2SEA", "Eq", "11", "Total loss: task weights lambda_n and L2 penalty",
              (_H + "models.h2sea_loss", _H + "models.NeuralMultiTask"),
              ("tests/test_models.py::test_task_weights_must_sum_to_one",
               "tests/test_models.py::test_l2_penalty_value_and_gradient",
               "tests/test_models.py::test_adam_weight_decay_is_the_gradient_of_the_l2_term",
               "tests/test_models.py::test_l2_reaches_training"), "03_h2sea"),
    PaperItem("H2SEA", "Sec", "5.1", "Macro-F1, AUC, G-Mean and accuracy",
              (_M + "macro_f1", _M + "auc", _M + "gmean", _M + "accuracy"),
              ("tests/test_metrics.py::test_report_matches_sklearn_on_random_inputs",),
              "03_h2sea",
              "The paper does not say which AUC and G-Mean: one-vs-rest macro AUC and the "
              "geometric mean of per-class recalls, with the alternatives reported beside them."),
    PaperItem("H2SEA", "Table", "1", "Sampling stages and units",
              (_H + "report.survey.stage_table",), ("tests/test_survey.py::test_tiny_world_design_counts",),
              "01_survey"),
    PaperItem("H2SEA", "Table", "2", "Demographics of the kept people",
              (_H + "calibration.calibration_table", _H + "report.survey.demographics_table"),
              ("tests/test_survey.py::test_kept_people_satisfy_the_rules",), "01_survey"),
    PaperItem("H2SEA", "Table", "3", "Performance of H2SEA and the baselines",
              (_H + "protocol.run_protocol", _H + "protocol.summarise_performance",
               _H + "protocol.paired_tests"),
              ("tests/test_evaluation.py::test_protocol_summary_and_paired_tests",
               "tests/test_evaluation.py::test_tuning_uses_validation_only",
               "tests/test_models.py::test_defaults_are_the_papers_sec51_settings",
               "tests/test_models.py::test_paper_settings_reach_the_network",
               "tests/test_models.py::test_lr_has_order_two_products_by_default",
               "tests/test_models.py::test_lr_degree_two_learns_an_interaction_degree_one_cannot"),
              "03_h2sea",
              "Early stopping and the per-task decision rule are chosen by validation macro-F1; "
              "chapter 03 measures each reading on the validation split."),
    PaperItem("H2SEA", "Table", "4", "Top single feature families per task",
              (_H + "analyses.feature_family_importance", _H + "analyses.top_features",
               "homelib.claims.likeforlike.table4_aligned"),
              ("tests/test_evaluation.py::test_feature_importance_and_top_features",
               "tests/test_evaluation.py::test_table4_score_and_sort_direction_by_hand",
               "tests/test_claims_likeforlike.py::test_table4_is_aligned_by_family_not_by_rank"),
              "04_feature_importance",
              "aligned by family, with accuracy, in chapter 10 (homelib.claims.likeforlike)"),
    PaperItem("H2SEA", "Table", "5", "City-only and village-only change ratios",
              (_H + "analyses.city_village",),
              ("tests/test_evaluation.py::test_city_village_change_ratio",), "05_city_village"),
    PaperItem("H2SEA", "Table", "6", "Related works of income prediction",
              (), (), "references",
              "A literature table, not a result: the works are cited in the references page."),
    PaperItem("H2SEA", "Fig", "1", "Distributions of housing prices and county income",
              (_H + "report.survey.plot_fig1",), ("tests/test_sources.py::test_listings_are_denser_in_cities",),
              "02_enrich"),
    PaperItem("H2SEA", "Fig", "2", "Architecture of H2SEA",
              (_H + "report.models.plot_architecture",), (), "03_h2sea",
              "A diagram, redrawn; the architecture itself is tested under H2SEA Eq 3-8."),
    PaperItem("H2SEA", "Fig", "3", "Housing price vs community-level income",
              (_H + "housing.housing_income_correlations", _H + "report.housing.plot_price_income_scatter"),
              ("tests/test_housing.py::test_correlation_matches_scipy_and_fisher_by_hand",
               "tests/test_housing.py::test_table_contract_and_commercial_split"),
              "06_housing_income"),
    # ------------------------------------------------------------------ PFLI
    PaperItem("PFLI", "Eq", "1", "Profile location indication (PLI), sigma_k from R_k",
              (_P + "model.indication_matrix", _P + "model.PFLIModel"),
              ("tests/test_pfli.py::test_worked_example_telecom_sudparis",
               "tests/test_pfli.py::test_indication_matrix_ignores_null_and_unknown"),
              "08_pfli"),
    PaperItem("PFLI", "Eq", "2", "LA-friend location indication, w_k from W_k",
              (_P + "model.similarity_matrix", _P + "model.SimilarityMatrix"),
              ("tests/test_pfli.py::test_similarity_matrix_by_hand",
               "tests/test_pfli.py::test_w_smoothing_pseudo_count_by_hand"), "08_pfli",
              "Rarely seen value pairs are smoothed toward the overall same-city share with a "
              "pseudo-count (PFLIConfig.w_smoothing = 1); chapter 08 measures the effect."),
    PaperItem("PFLI", "Eq", "3", "LN-friend location indication",
              (_P + "model.PFLIModel",), ("tests/test_pfli.py::test_scores_by_hand",), "08_pfli"),
    PaperItem("PFLI", "Eq", "4", "Friends' combination p_F = p_LA-F + lambda p_LN-F",
              (_P + "model.PFLIModel",), ("tests/test_pfli.py::test_scores_by_hand",), "08_pfli"),
    PaperItem("PFLI", "Eq", "5", "Profile and friends combination",
              (_P + "model.PFLIModel",), ("tests/test_pfli.py::test_scores_by_hand",), "08_pfli"),
    PaperItem("PFLI", "Eq", "6", "Expanded model with mu_k, nu_k, lambda_alpha (Sec 5.3 training)",
              (_P + "model.fit_pfli", _P + "model.PFLIModel", _P + "model.PFLI",
               _P + "model.close_far_labels"),
              ("tests/test_pfli.py::test_training_leaves_own_city_out",
               "tests/test_pfli.py::test_loo_components_equal_a_model_fitted_without_the_user",
               "tests/test_pfli.py::test_no_leakage_from_test_users_city",
               "tests/test_pfli.py::test_trainer_learns_positive_weights_when_profile_and_friends_are_informative",
               "tests/test_pfli.py::test_trainer_weights_near_zero_clipped_and_flagged_when_uninformative",
               "tests/test_pfli.py::test_trainer_all_negative_is_clipped_flagged_and_reset_to_one",
               "tests/test_pfli.py::test_close_far_labels_at_the_threshold"),
              "08_pfli",
              "Training users' features leave their own city out of R_k and W_k exactly; "
              "negative logistic coefficients are clipped to 0 (all-zero mu, nu reset to 1), "
              "recorded in the training information and warned about; items are close within "
              "close_km = 100 km."),
    PaperItem("PFLI", "Eq", "7", "Vector form with the R_k columns; rows normalised",
              (_P + "model.PFLIModel",), ("tests/test_pfli.py::test_hide_and_prior",), "08_pfli"),
    PaperItem("PFLI", "Alg", "1", "UPGMA clustering of the candidate locations",
              (_P + "clusters.cluster_places",), ("tests/test_pfli.py::test_upgma_matches_scipy",
                                                  "tests/test_pfli.py::test_cluster_cut_at_100_km"),
              "07_social_world"),
    PaperItem("PFLI", "Sec", "6.2-6.3", "Cluster selector and location selectors (prob, cent, dist)",
              (_P + "clusters.select_locations", _P + "clusters.cluster_medoids"),
              ("tests/test_pfli.py::test_selectors_by_hand", "tests/test_pfli.py::test_medoids"),
              "08_pfli"),
    PaperItem("PFLI", "Sec", "7.1.2", "Baselines Base_dist, Base_ann, Base_freq, Base_freq+, Base_knn",
              (_P + "baselines.base_dist", _P + "baselines.fit_backstrom", _P + "baselines.BaseANN",
               _P + "baselines.base_freq", _P + "baselines.base_freq_plus", _P + "baselines.base_knn"),
              ("tests/test_baselines.py::test_dist_maximum_likelihood",
               "tests/test_baselines.py::test_backstrom_bins_recover_the_law_from_poisson_counts",
               "tests/test_baselines.py::test_base_dist_is_fitted_from_the_known_users",
               "tests/test_baselines.py::test_freq_and_freq_plus",
               "tests/test_baselines.py::test_freq_plus_radius_by_hand",
               "tests/test_baselines.py::test_knn_uses_friends_with_most_common_friends",
               "tests/test_baselines.py::test_knn_counts_only_visible_friendships",
               "tests/test_baselines.py::test_base_ann_training_maps_leave_the_user_out"),
              "08_pfli",
              "Base_dist fits Backstrom's law from the known users' visible friend pairs (binned "
              "maximum likelihood); Base_knn counts visible friendships only; Base_ann's maps "
              "leave the training user out; Base_knn's k = 10 is the book's reading."),
    PaperItem("PFLI", "Sec", "7.1.3", "Error distance, AED@p and ACC@K",
              (_M + "error_distance_km", _M + "aed_at", _M + "acc_at_k"),
              ("tests/test_metrics.py::test_aed_and_acc_by_hand",), "08_pfli",
              "AED@p averages the best p share of users (the paper says 'descending'; its "
              "tables can only be read this way); chapter 08 shows both readings."),
    PaperItem("PFLI", "Eq", "8", "Exposure probability EP@K",
              (_E + "features.ep_at_k",),
              ("tests/test_exposure.py::test_ep_at_k_hand_count",
               "tests/test_exposure.py::test_ep_at_k_equals_acc_at_k_overall"),
              "09_exposure"),
    PaperItem("PFLI", "Eq", "9", "Cluster confidence CC(u)",
              (_E + "features.cluster_confidence",),
              ("tests/test_exposure.py::test_cluster_confidence_hand_vector",
               "tests/test_exposure.py::test_cluster_confidence_matches_loop"),
              "09_exposure"),
    PaperItem("PFLI", "Table", "1-2", "AED of every method, users with LA friends and overall",
              (_P + "evaluation.evaluate_pfli", _P + "evaluation.aed_table"),
              ("tests/test_pfli.py::test_evaluate_small_world",), "08_pfli"),
    PaperItem("PFLI", "Table", "3", "Risk level vs exposure probability",
              (_E + "risk.risk_levels", _E + "risk.risk_band"),
              ("tests/test_exposure.py::test_risk_levels_match_reference_table",), "09_exposure",
              "The paper prints level 2 as '[0.5, 0.25)'; read as [0.25, 0.5)."),
    PaperItem("PFLI", "Table", "4", "User categories by visible attributes",
              (_E + "features.user_category", _E + "features.category_of"),
              ("tests/test_exposure.py::test_seven_categories_of_table4",), "09_exposure"),
    PaperItem("PFLI", "Table", "5-6", "Exposure models and feature verification",
              (_E + "models.evaluate_exposure_models", _E + "models.fit_exposure_model"),
              ("tests/test_exposure.py::test_rdf_beats_linear_on_nonlinear_target",
               "tests/test_exposure.py::test_model_names_match_reference"),
              "09_exposure"),
    PaperItem("PFLI", "Table", "7", "Exposure estimator cases",
              (_E + "estimator.pick_cases", _E + "estimator.ExposureEstimator",
               "homelib.claims.likeforlike.table7_cases"),
              ("tests/test_exposure.py::test_pick_cases_contract",
               "tests/test_claims_likeforlike.py::test_table7_cases_run_through_the_model"),
              "09_exposure",
              "the paper's eleven cases rebuilt from their characteristics and run through the "
              "exposure model, and the world's nearest user of each"),
    PaperItem("PFLI", "Table", "8", "What-if hiding for one user (U1)",
              (_E + "estimator.what_if", _E + "estimator.exposure_report",
               "homelib.claims.likeforlike.u1_like_user", "homelib.claims.likeforlike.table8_u1"),
              ("tests/test_exposure.py::test_report_has_eight_variants",
               "tests/test_exposure.py::test_smallest_change_prefers_fewest_fields",
               "tests/test_claims_likeforlike.py::test_u1_like_user_by_hand",
               "tests/test_claims_likeforlike.py::test_table8_side_by_side"),
              "09_exposure", "for the world's user most like U1 (category, cluster confidence, "
              "% friends with attributes)"),
    PaperItem("PFLI", "Sec", "8.3", "The three hiding guidelines",
              (_E + "estimator.check_guidelines",), ("tests/test_exposure.py::test_check_guidelines_runs",),
              "09_exposure"),
    PaperItem("PFLI", "Fig", "1", "Framework of current city prediction",
              (), (), "08_pfli", "A diagram of the pipeline; the chapter follows it step by step."),
    PaperItem("PFLI", "Fig", "2", "Example of social relations and profiles",
              (), (), "08_pfli", "An illustration; its worked example is a test (PFLI Eq 1)."),
    PaperItem("PFLI", "Fig", "3", "Candidate locations clustered in 47-49N, 1W-6E",
              (_P + "clusters.cluster_places", _P + "report.map_clusters"),
              ("tests/test_pfli.py::test_upgma_matches_scipy",), "07_social_world"),
    PaperItem("PFLI", "Fig", "4-5", "ACC@K of the selectors and of the baselines",
              (_P + "evaluation.acc_table", _P + "report.plot_acc_curves"),
              ("tests/test_pfli.py::test_aed_and_acc_by_hand",), "08_pfli"),
    PaperItem("PFLI", "Fig", "6", "Exposure probability by user category",
              (_E + "features.ep_at_k", _E + "report.plot_ep_by_category"),
              ("tests/test_exposure.py::test_plots_return_figures",), "09_exposure"),
    PaperItem("PFLI", "Fig", "7", "Exposure probability by % friends with attributes",
              (_E + "features.pct_friends_with_attributes", _E + "report.plot_ep_by_friends"),
              ("tests/test_exposure.py::test_pct_friends_with_attributes_hand_count",), "09_exposure"),
    PaperItem("PFLI", "Fig", "8", "Exposure probability by cluster confidence",
              (_E + "features.cluster_confidence", _E + "report.plot_ep_by_confidence"),
              ("tests/test_exposure.py::test_plots_return_figures",), "09_exposure"),
    PaperItem("PFLI", "Fig", "9", "Framework of the exposure estimator",
              (_E + "estimator.ExposureEstimator",), ("tests/test_exposure.py::test_report_has_eight_variants",),
              "09_exposure", "A diagram; the estimator it describes is the listed class."),
)
"""Every item of both papers, in the order of the book."""


def item(key: str) -> PaperItem:
    """The registry entry named ``key`` (e.g. ``"PFLI Eq 6"``).

    Parameters
    ----------
    key : str
        ``"<paper> <kind> <number>"``.

    Returns
    -------
    PaperItem

    Raises
    ------
    KeyError
        If no item has that name; the message lists the paper's items.

    Examples
    --------
    >>> item("PFLI Alg 1").chapter
    '07_social_world'
    """
    for it in PAPER_ITEMS:
        if it.key == key:
            return it
    paper = key.split(" ", 1)[0]
    known = [i.key for i in PAPER_ITEMS if i.paper == paper] or [i.key for i in PAPER_ITEMS]
    raise KeyError(f"unknown paper item {key!r}; known: {known}")


def items_of(paper: str) -> list[PaperItem]:
    """The items of one paper, in the order of the book.

    Parameters
    ----------
    paper : {"H2SEA", "PFLI"}

    Returns
    -------
    list of PaperItem

    Examples
    --------
    >>> items_of("H2SEA")[0].key
    'H2SEA Eq 1'
    """
    if paper not in ("H2SEA", "PFLI"):
        raise ValueError(f"paper must be 'H2SEA' or 'PFLI'; got {paper!r}")
    return [i for i in PAPER_ITEMS if i.paper == paper]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown() -> str:
    """The book's "Paper to code" page (``book/paper_to_code.md``) as MyST markdown.

    Returns
    -------
    str
        One table per paper: item, what it is, code (linked to the API
        reference), tests, chapter, and the reading taken.

    Examples
    --------
    >>> text = render_markdown()
    >>> text.splitlines()[0]
    '# Paper to code'
    >>> "H2SEA Eq 10" in text and "PFLI Alg 1" in text
    True
    """
    lines = [
        "# Paper to code",
        "",
        "Every equation, algorithm, table and figure of both papers, the function that",
        "implements it, the test that checks it and the chapter where you meet it. Both papers",
        "number their equations from 1, so items are named with their paper (\"H2SEA Eq 5\" is",
        "the attention layer, \"PFLI Eq 5\" the profile and friends combination). This page is",
        "generated from `homelib.registry` (`python -m homelib.registry > book/paper_to_code.md`);",
        "a test fails when a function or test named here disappears or the page is stale.",
        "",
    ]
    titles = {"H2SEA": "H2SEA (Ding et al. 2021)", "PFLI": "PFLI (Han et al.)"}
    for paper in ("H2SEA", "PFLI"):
        lines += [f"## {titles[paper]}", "",
                  "| item | what | code | tests | chapter | reading or note |",
                  "|---|---|---|---|---|---|"]
        for it in items_of(paper):
            code = "<br>".join(f"{{py:obj}}`{c}`" for c in it.code) or "-"
            tests = "<br>".join(f"`{t.split('::')[1]}`" for t in it.tests) or "-"
            chapter = f"[{it.chapter}]({it.chapter}.ipynb)" if it.chapter[:2].isdigit() \
                else f"[{it.chapter}]({it.chapter}.md)"
            lines.append(f"| {it.key} | {_cell(it.title)} | {code} | {tests} | {chapter} | "
                         f"{_cell(it.note) or '-'} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - the page generator
    print(render_markdown(), end="")
