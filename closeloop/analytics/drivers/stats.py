"""The statistics of key-driver analysis, on plain numpy arrays: Johnson's relative weights.

Johnson (2000), "A heuristic method for estimating the relative weight of predictor variables
in multiple regression", Multivariate Behavioral Research 35(1):
1. standardize the predictors X and the target y;
2. eigendecompose the predictors' correlation matrix R = V diag(e) V';
3. the orthogonal counterparts Z of X have loadings Lambda = V diag(sqrt(e)) V' (X = Z Lambda);
4. regress y on Z (beta = Lambda^-1 r_xy) and give each predictor j the weight
   sum_k Lambda_jk^2 beta_k^2. The weights are never negative and add up to the R² of the
   ordinary least squares regression of y on X.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Eigenvalues this small (relative to the largest) belong to exactly collinear predictors; they
# are treated as zero, which gives the minimum-norm solution instead of dividing by noise.
EIGEN_TOLERANCE = 1e-10


@dataclass(frozen=True)
class RelativeWeights:
    """Each predictor's raw relative weight (they add up to r_squared) and the model's R²."""

    weights: FloatArray
    r_squared: float

    @property
    def shares(self) -> FloatArray:
        """Each weight as a share of R² (adds up to 1 when R² > 0)."""
        if self.r_squared <= 0:
            return np.zeros_like(self.weights)
        return self.weights / self.r_squared


def standardize(values: FloatArray) -> FloatArray:
    """Columns (or a vector) as z-scores; constant columns are an error (remove them first)."""
    mean = values.mean(axis=0)
    std = values.std(axis=0, ddof=1)
    if np.any(std <= 0):
        raise ValueError("standardize: a column is constant")
    result: FloatArray = (values - mean) / std
    return result


def relative_weights(x: FloatArray, y: FloatArray) -> RelativeWeights:
    """Johnson's relative weights of the columns of x (n rows, p predictors) in explaining y."""
    n, p = x.shape
    if n != y.shape[0]:
        raise ValueError("relative_weights: x and y have different numbers of rows")
    if n < 3 or p < 1:
        raise ValueError("relative_weights: too few rows or no predictors")
    zx = standardize(x)
    zy = standardize(y)
    rxx = (zx.T @ zx) / (n - 1)
    rxy = (zx.T @ zy) / (n - 1)
    eigenvalues, eigenvectors = np.linalg.eigh(rxx)
    largest = max(float(eigenvalues.max()), 0.0)
    eigenvalues = np.where(eigenvalues > EIGEN_TOLERANCE * max(largest, 1.0), eigenvalues, 0.0)
    root = np.sqrt(eigenvalues)
    inverse_root = np.divide(1.0, root, out=np.zeros_like(root), where=root > 0)
    lam = eigenvectors @ np.diag(root) @ eigenvectors.T
    lam_inverse = eigenvectors @ np.diag(inverse_root) @ eigenvectors.T
    beta = lam_inverse @ rxy
    weights: FloatArray = (lam**2) @ (beta**2)
    return RelativeWeights(weights=weights, r_squared=float(beta @ beta))


def ols_r_squared(x: FloatArray, y: FloatArray) -> float:
    """R² of the least-squares regression of y on x with an intercept (numpy lstsq)."""
    design = np.column_stack([np.ones(x.shape[0]), x])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coefficients
    total = float(((y - y.mean()) ** 2).sum())
    if total <= 0:
        return 0.0
    return 1.0 - float((residual**2).sum()) / total


def correlation(x: FloatArray, y: FloatArray) -> float:
    """Pearson correlation of two vectors (0 when either is constant)."""
    if x.std() <= 0 or y.std() <= 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])
