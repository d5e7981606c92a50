"""The exact `(module, qualified name)` pairs an honest artifact may import while it loads.

Loading a pickle imports every global it names and may call it. The grader accepts only the
pairs below, written out one by one: never a module prefix, because `find_class` walks dotted
names, so "anything under sklearn" reaches `os.system` through any sklearn module that imported
`os` (lesson 05 walks such a chain live). A qualified name with a dot is refused even when its
first part is here.

What is here, and why it is safe to import and call with data from the file:
- scikit-learn's public estimators (`sklearn.utils.all_estimators()`, checked by
  tests/test_artifacts_allowlist.py) and the internal objects fitted estimators hold (trees, losses,
  distance metrics, optimizers, CV splitters, scorers); their constructors only store values;
- numpy's array, dtype, scalar and random-state rebuilders, and pure element-wise functions a
  `FunctionTransformer` may hold (`numpy.clip`, `numpy.log1p`...);
- scipy's sparse containers and B-splines; joblib's `NumpyArrayWrapper`;
- plain Python containers, `copyreg._reconstructor` and `_codecs.encode` (protocols 0-2),
  `datetime` values;
- for torch archives, the globals `torch.load(weights_only=True)` accepts for CPU tensors.

Everything else is a finding, with a reason from `DANGEROUS` when the name is a known gadget.
"""

from __future__ import annotations


def _pairs(table: dict[str, str]) -> frozenset[tuple[str, str]]:
    return frozenset((module, name) for module, names in table.items() for name in names.split())


PYTHON = _pairs({
    "builtins": "bytearray bytes complex dict frozenset list object range set slice tuple",
    "copyreg": "_reconstructor",
    "_codecs": "encode",  # protocols 0-2 store bytes as _codecs.encode(str, 'latin1')
    "collections": "Counter OrderedDict defaultdict deque",
    "datetime": "date datetime time timedelta timezone",
    "functools": "partial",
})

_NUMPY_FUNCTIONS = (  # pure functions a FunctionTransformer or TransformedTargetRegressor holds
    "abs absolute arccos arcsin arcsinh arctan arctanh cbrt ceil clip cos cosh deg2rad exp exp2 "
    "expm1 fabs floor log log10 log1p log2 maximum mean median minimum nan_to_num nanmean "
    "nanmedian negative positive power rad2deg reciprocal rint round sign sin sinh sqrt square "
    "std sum tan tanh trunc var"
)
_NUMPY_SCALARS = (
    "bool_ bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64 "
    "longdouble complex64 complex128 str_ bytes_ datetime64 timedelta64 object_ intp uintp"
)
NUMPY = _pairs({
    "numpy": f"dtype ndarray {_NUMPY_FUNCTIONS} {_NUMPY_SCALARS}",
    # numpy 2 writes numpy._core; pickles from numpy 1.x name numpy.core, which still loads.
    "numpy._core.multiarray": "_reconstruct scalar",
    "numpy.core.multiarray": "_reconstruct scalar",
    "numpy._core.numeric": "_frombuffer",
    "numpy.core.numeric": "_frombuffer",
    "numpy.ma": "MaskedArray",
    "numpy.ma.core": "MaskedArray _mareconstruct",
    "numpy.random._pickle": "__bit_generator_ctor __generator_ctor __randomstate_ctor",
    "numpy.random._mt19937": "MT19937",
    "numpy.random._pcg64": "PCG64 PCG64DXSM",
    "numpy.random._philox": "Philox",
    "numpy.random._sfc64": "SFC64",
    "numpy.random._generator": "Generator",
    "numpy.random.mtrand": "RandomState",
    "numpy.random.bit_generator": "SeedSequence __pyx_unpickle_SeedSequence",
})

SCIPY = _pairs({
    "scipy.sparse._bsr": "bsr_array bsr_matrix",
    "scipy.sparse._coo": "coo_array coo_matrix",
    "scipy.sparse._csc": "csc_array csc_matrix",
    "scipy.sparse._csr": "csr_array csr_matrix",
    "scipy.sparse._dia": "dia_array dia_matrix",
    "scipy.sparse._dok": "dok_array dok_matrix",
    "scipy.sparse._lil": "lil_array lil_matrix",
    "scipy.interpolate._bsplines": "BSpline",
    "scipy._lib.array_api_compat.numpy._aliases": "asarray",  # held by SplineTransformer
})

JOBLIB = _pairs({"joblib.numpy_pickle": "NumpyArrayWrapper"})

# Every class of sklearn.utils.all_estimators() in scikit-learn 1.9.1.
SKLEARN_ESTIMATORS = _pairs({
    "sklearn.calibration": "CalibratedClassifierCV",
    "sklearn.cluster._affinity_propagation": "AffinityPropagation",
    "sklearn.cluster._agglomerative": "AgglomerativeClustering FeatureAgglomeration",
    "sklearn.cluster._bicluster": "SpectralBiclustering SpectralCoclustering",
    "sklearn.cluster._birch": "Birch",
    "sklearn.cluster._bisect_k_means": "BisectingKMeans",
    "sklearn.cluster._dbscan": "DBSCAN",
    "sklearn.cluster._hdbscan.hdbscan": "HDBSCAN",
    "sklearn.cluster._kmeans": "KMeans MiniBatchKMeans",
    "sklearn.cluster._mean_shift": "MeanShift",
    "sklearn.cluster._optics": "OPTICS",
    "sklearn.cluster._spectral": "SpectralClustering",
    "sklearn.compose._column_transformer": "ColumnTransformer",
    "sklearn.compose._target": "TransformedTargetRegressor",
    "sklearn.covariance._elliptic_envelope": "EllipticEnvelope",
    "sklearn.covariance._empirical_covariance": "EmpiricalCovariance",
    "sklearn.covariance._graph_lasso": "GraphicalLasso GraphicalLassoCV",
    "sklearn.covariance._robust_covariance": "MinCovDet",
    "sklearn.covariance._shrunk_covariance": "LedoitWolf OAS ShrunkCovariance",
    "sklearn.cross_decomposition._pls": "CCA PLSCanonical PLSRegression PLSSVD",
    "sklearn.decomposition._dict_learning":
        "DictionaryLearning MiniBatchDictionaryLearning SparseCoder",
    "sklearn.decomposition._factor_analysis": "FactorAnalysis",
    "sklearn.decomposition._fastica": "FastICA",
    "sklearn.decomposition._incremental_pca": "IncrementalPCA",
    "sklearn.decomposition._kernel_pca": "KernelPCA",
    "sklearn.decomposition._lda": "LatentDirichletAllocation",
    "sklearn.decomposition._nmf": "MiniBatchNMF NMF",
    "sklearn.decomposition._pca": "PCA",
    "sklearn.decomposition._sparse_pca": "MiniBatchSparsePCA SparsePCA",
    "sklearn.decomposition._truncated_svd": "TruncatedSVD",
    "sklearn.discriminant_analysis": "LinearDiscriminantAnalysis QuadraticDiscriminantAnalysis",
    "sklearn.dummy": "DummyClassifier DummyRegressor",
    "sklearn.ensemble._bagging": "BaggingClassifier BaggingRegressor",
    "sklearn.ensemble._forest": "ExtraTreesClassifier ExtraTreesRegressor "
                                "RandomForestClassifier RandomForestRegressor RandomTreesEmbedding",
    "sklearn.ensemble._gb": "GradientBoostingClassifier GradientBoostingRegressor",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting":
        "HistGradientBoostingClassifier HistGradientBoostingRegressor",
    "sklearn.ensemble._iforest": "IsolationForest",
    "sklearn.ensemble._stacking": "StackingClassifier StackingRegressor",
    "sklearn.ensemble._voting": "VotingClassifier VotingRegressor",
    "sklearn.ensemble._weight_boosting": "AdaBoostClassifier AdaBoostRegressor",
    "sklearn.feature_extraction._dict_vectorizer": "DictVectorizer",
    "sklearn.feature_extraction._hash": "FeatureHasher",
    "sklearn.feature_extraction.image": "PatchExtractor",
    "sklearn.feature_extraction.text":
        "CountVectorizer HashingVectorizer TfidfTransformer TfidfVectorizer",
    "sklearn.feature_selection._from_model": "SelectFromModel",
    "sklearn.feature_selection._rfe": "RFE RFECV",
    "sklearn.feature_selection._sequential": "SequentialFeatureSelector",
    "sklearn.feature_selection._univariate_selection":
        "GenericUnivariateSelect SelectFdr SelectFpr SelectFwe SelectKBest SelectPercentile",
    "sklearn.feature_selection._variance_threshold": "VarianceThreshold",
    "sklearn.frozen._frozen": "FrozenEstimator",
    "sklearn.gaussian_process._gpc": "GaussianProcessClassifier",
    "sklearn.gaussian_process._gpr": "GaussianProcessRegressor",
    "sklearn.impute._base": "MissingIndicator SimpleImputer",
    "sklearn.impute._knn": "KNNImputer",
    "sklearn.isotonic": "IsotonicRegression",
    "sklearn.kernel_approximation":
        "AdditiveChi2Sampler Nystroem PolynomialCountSketch RBFSampler SkewedChi2Sampler",
    "sklearn.kernel_ridge": "KernelRidge",
    "sklearn.linear_model._base": "LinearRegression",
    "sklearn.linear_model._bayes": "ARDRegression BayesianRidge",
    "sklearn.linear_model._coordinate_descent": "ElasticNet ElasticNetCV Lasso LassoCV "
        "MultiTaskElasticNet MultiTaskElasticNetCV MultiTaskLasso MultiTaskLassoCV",
    "sklearn.linear_model._glm.glm": "GammaRegressor PoissonRegressor TweedieRegressor",
    "sklearn.linear_model._huber": "HuberRegressor",
    "sklearn.linear_model._least_angle": "Lars LarsCV LassoLars LassoLarsCV LassoLarsIC",
    "sklearn.linear_model._logistic": "LogisticRegression LogisticRegressionCV",
    "sklearn.linear_model._omp": "OrthogonalMatchingPursuit OrthogonalMatchingPursuitCV",
    "sklearn.linear_model._passive_aggressive":
        "PassiveAggressiveClassifier PassiveAggressiveRegressor",
    "sklearn.linear_model._perceptron": "Perceptron",
    "sklearn.linear_model._quantile": "QuantileRegressor",
    "sklearn.linear_model._ransac": "RANSACRegressor",
    "sklearn.linear_model._ridge": "Ridge RidgeCV RidgeClassifier RidgeClassifierCV",
    "sklearn.linear_model._stochastic_gradient": "SGDClassifier SGDOneClassSVM SGDRegressor",
    "sklearn.linear_model._theil_sen": "TheilSenRegressor",
    "sklearn.manifold._classical_mds": "ClassicalMDS",
    "sklearn.manifold._isomap": "Isomap",
    "sklearn.manifold._locally_linear": "LocallyLinearEmbedding",
    "sklearn.manifold._mds": "MDS",
    "sklearn.manifold._spectral_embedding": "SpectralEmbedding",
    "sklearn.manifold._t_sne": "TSNE",
    "sklearn.mixture._bayesian_mixture": "BayesianGaussianMixture",
    "sklearn.mixture._gaussian_mixture": "GaussianMixture",
    "sklearn.model_selection._classification_threshold":
        "FixedThresholdClassifier TunedThresholdClassifierCV",
    "sklearn.model_selection._search": "GridSearchCV RandomizedSearchCV",
    "sklearn.multiclass": "OneVsOneClassifier OneVsRestClassifier OutputCodeClassifier",
    "sklearn.multioutput":
        "ClassifierChain MultiOutputClassifier MultiOutputRegressor RegressorChain",
    "sklearn.naive_bayes": "BernoulliNB CategoricalNB ComplementNB GaussianNB MultinomialNB",
    "sklearn.neighbors._classification": "KNeighborsClassifier RadiusNeighborsClassifier",
    "sklearn.neighbors._graph": "KNeighborsTransformer RadiusNeighborsTransformer",
    "sklearn.neighbors._kde": "KernelDensity",
    "sklearn.neighbors._lof": "LocalOutlierFactor",
    "sklearn.neighbors._nca": "NeighborhoodComponentsAnalysis",
    "sklearn.neighbors._nearest_centroid": "NearestCentroid",
    "sklearn.neighbors._regression": "KNeighborsRegressor RadiusNeighborsRegressor",
    "sklearn.neighbors._unsupervised": "NearestNeighbors",
    "sklearn.neural_network._multilayer_perceptron": "MLPClassifier MLPRegressor",
    "sklearn.neural_network._rbm": "BernoulliRBM",
    "sklearn.pipeline": "FeatureUnion Pipeline",
    "sklearn.preprocessing._data": "Binarizer KernelCenterer MaxAbsScaler MinMaxScaler "
        "Normalizer PowerTransformer QuantileTransformer RobustScaler StandardScaler",
    "sklearn.preprocessing._discretization": "KBinsDiscretizer",
    "sklearn.preprocessing._encoders": "OneHotEncoder OrdinalEncoder",
    "sklearn.preprocessing._function_transformer": "FunctionTransformer",
    "sklearn.preprocessing._label": "LabelBinarizer LabelEncoder MultiLabelBinarizer",
    "sklearn.preprocessing._polynomial": "PolynomialFeatures SplineTransformer",
    "sklearn.preprocessing._target_encoder": "TargetEncoder",
    "sklearn.random_projection": "GaussianRandomProjection SparseRandomProjection",
    "sklearn.semi_supervised._label_propagation": "LabelPropagation LabelSpreading",
    "sklearn.semi_supervised._self_training": "SelfTrainingClassifier",
    "sklearn.svm._classes": "LinearSVC LinearSVR NuSVC NuSVR OneClassSVM SVC SVR",
    "sklearn.tree._classes":
        "DecisionTreeClassifier DecisionTreeRegressor ExtraTreeClassifier ExtraTreeRegressor",
})

_DISTANCES = " ".join(
    f"{name}Distance{bits}" for bits in (32, 64) for name in (
        "BrayCurtis Canberra Chebyshev Dice Euclidean Hamming Haversine Jaccard Kulsinski "
        "Mahalanobis Manhattan Matching Minkowski RogersTanimoto RussellRao SEuclidean "
        "SokalMichener SokalSneath").split())

# What fitted estimators hold besides other estimators (found by pickling every estimator).
SKLEARN_INTERNALS = _pairs({
    "sklearn.tree._tree": "Tree",
    "sklearn.ensemble._hist_gradient_boosting.binning": "_BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor": "TreePredictor",
    "sklearn._loss.loss": "AbsoluteError ExponentialLoss HalfBinomialLoss HalfGammaLoss "
        "HalfMultinomialLoss HalfPoissonLoss HalfSquaredError HalfTweedieLoss "
        "HalfTweedieLossIdentity HuberLoss PinballLoss",
    "sklearn._loss._loss": "CyAbsoluteError CyExponentialLoss CyHalfBinomialLoss "
        "CyHalfGammaLoss CyHalfMultinomialLoss CyHalfPoissonLoss CyHalfSquaredError "
        "CyHalfTweedieLoss CyHalfTweedieLossIdentity CyHuberLoss CyPinballLoss",
    "sklearn._loss.link": "HalfLogitLink IdentityLink Interval LogLink LogitLink "
                          "MultinomialLogit",
    "sklearn.linear_model._sgd_fast":
        "EpsilonInsensitive Hinge ModifiedHuber SquaredEpsilonInsensitive SquaredHinge",
    "sklearn.metrics._dist_metrics": f"newObj {_DISTANCES}",
    "sklearn.neighbors._kd_tree": "KDTree newObj",
    "sklearn.neighbors._ball_tree": "BallTree newObj",
    "sklearn.neural_network._stochastic_optimizers": "AdamOptimizer SGDOptimizer",
    "sklearn.calibration": "_CalibratedClassifier _SigmoidCalibration",
    "sklearn.cluster._birch": "_CFNode _CFSubcluster",
    "sklearn.cluster._bisect_k_means": "_BisectingTree",
    "sklearn.cluster._kmeans": "_kmeans_single_elkan _kmeans_single_lloyd",
    "sklearn.gaussian_process._gpc": "_BinaryGaussianProcessClassifierLaplace",
    "sklearn.gaussian_process.kernels": "CompoundKernel ConstantKernel DotProduct "
        "ExpSineSquared Exponentiation Hyperparameter Matern PairwiseKernel Product RBF "
        "RationalQuadratic Sum WhiteKernel",
    "sklearn.model_selection._split": "GroupKFold GroupShuffleSplit KFold LeaveOneGroupOut "
        "LeaveOneOut LeavePGroupsOut LeavePOut PredefinedSplit RepeatedKFold "
        "RepeatedStratifiedKFold ShuffleSplit StratifiedGroupKFold StratifiedKFold "
        "StratifiedShuffleSplit TimeSeriesSplit _CVIterableWrapper",
    "sklearn.metrics._scorer": "_MultimetricScorer _PassthroughScorer _Scorer",
    "sklearn.metrics._classification": "accuracy_score balanced_accuracy_score f1_score "
        "log_loss precision_score recall_score",
    "sklearn.metrics._ranking": "average_precision_score roc_auc_score",
    "sklearn.metrics._regression": "mean_absolute_error mean_squared_error r2_score",
    "sklearn.feature_selection._univariate_selection": "chi2 f_classif f_regression",
    "sklearn.feature_selection._mutual_info": "mutual_info_classif mutual_info_regression",
    "sklearn.utils._bunch": "Bunch",
})

# torch.load(weights_only=True)'s own allowlist, restricted to CPU tensors and their storages.
_STORAGES = ("BFloat16 Bool Byte Char ComplexDouble ComplexFloat Double Float Half Int Long "
             "Short").split()
TORCH_WEIGHTS = _pairs({
    "torch._utils": "_rebuild_tensor _rebuild_tensor_v2 _rebuild_tensor_v3 _rebuild_parameter "
                    "_rebuild_parameter_with_state _rebuild_sparse_tensor",
    "torch._tensor": "_rebuild_from_type_v2",
    "torch": " ".join(f"{kind}Storage" for kind in _STORAGES) + " Size Tensor device "
             "bfloat16 bool complex64 complex128 float16 float32 float64 int8 int16 int32 "
             "int64 uint8",
    "torch.nn.parameter": "Parameter",
    "collections": "Counter OrderedDict",
    "builtins": "bytearray complex set",
    "_codecs": "encode",
})

PICKLE_GLOBALS = PYTHON | NUMPY | SCIPY | JOBLIB | SKLEARN_ESTIMATORS | SKLEARN_INTERNALS

# skops names plain values by their type; its loader imports them like any other class.
SKOPS_TYPES = PICKLE_GLOBALS | _pairs({
    "builtins": "NoneType bool float int str type",
    "numpy": "float32 float64 int32 int64",
})

# Why a refused name is dangerous, for the one-line reason. Not consulted for the verdict.
DANGEROUS_MODULES = {
    "os": "makes operating-system calls (os.system runs shell commands)",
    "posix": "makes operating-system calls (posix.system is os.system)",
    "nt": "makes operating-system calls",
    "subprocess": "starts other programs",
    "pty": "starts other programs",
    "shutil": "copies and deletes files",
    "socket": "opens network connections",
    "ctypes": "calls native code",
    "importlib": "imports any module by name",
    "pkgutil": "resolves any module attribute by name",
    "runpy": "runs Python modules and files",
    "pickle": "loads a nested pickle, which can run anything",
    "_pickle": "loads a nested pickle, which can run anything",
    "marshal": "loads compiled code",
    "code": "runs Python code",
    "codeop": "compiles Python code",
    "timeit": "runs Python code given as text",
    "sys": "changes the interpreter",
    "webbrowser": "opens a browser",
    "types": "builds functions from compiled code",
}
DANGEROUS_NAMES = {
    ("builtins", "eval"): "evaluates Python code",
    ("builtins", "exec"): "executes Python code",
    ("builtins", "compile"): "compiles Python code",
    ("builtins", "__import__"): "imports any module",
    ("builtins", "getattr"): "reaches any attribute (a getattr chain)",
    ("builtins", "setattr"): "changes any attribute",
    ("builtins", "open"): "opens files for reading or writing",
    ("io", "open"): "opens files for reading or writing",
    ("_io", "open"): "opens files for reading or writing",
    ("builtins", "breakpoint"): "starts a debugger",
    ("builtins", "input"): "waits for input",
    ("operator", "attrgetter"): "reaches any attribute",
    ("operator", "methodcaller"): "calls any method",
    ("joblib", "load"): "loads a nested pickle, which can run anything",
    ("numpy", "load"): "loads a nested file that may hold a pickle",
    ("torch", "load"): "loads a nested pickle, which can run anything",
    ("numpy.testing._private.utils", "runstring"): "executes Python code given as text",
}


def danger(module: str, name: str) -> str:
    """Why importing `module.name` is dangerous, or '' when it is merely unknown."""
    if (module, name) in DANGEROUS_NAMES:
        return DANGEROUS_NAMES[(module, name)]
    top = module.split(".")[0]
    return DANGEROUS_MODULES.get(module) or DANGEROUS_MODULES.get(top, "")
