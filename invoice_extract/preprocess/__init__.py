"""Page-image preprocessing: pure functions on RGB arrays.

Only steps that measurably help are used by the pipeline (bench/README.md): straightening
photographed sheets, turning pages upright (0/90/180/270), deskewing, and fading coloured
marks (stamps, pen) across text lines before they are read. Contrast
normalisation and ruling-line removal are measured by bench/ocr.py and left out of the
pipeline, because they did not lower the character error rate.
"""

from __future__ import annotations

import cv2
import numpy as np

MAX_SKEW = 15.0  # degrees; beyond this, lines are not a skewed page but something else
MIN_SKEW = 0.3  # degrees; below this, rotating costs more than it gains
SKEW_STEP = 0.5  # degrees between the angles skew_angle tries first
SKEW_MARGIN = 0.03  # skew_angle: the share of the frame's longer side left out at each edge
PAPER_WINDOW = 21  # skew_angle: pixels (of 1000) over which the paper's brightness is taken


def to_rgb(image: np.ndarray) -> np.ndarray:
    """Any 2-D or 3-D uint8/bool array (1-bit, grey, RGBA) as contiguous RGB uint8."""
    arr = np.asarray(image)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    if arr.ndim == 2:
        arr = cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB)
    elif arr.shape[2] == 4:
        arr = cv2.cvtColor(arr, cv2.COLOR_RGBA2RGB)
    return np.ascontiguousarray(arr, dtype=np.uint8)


def rotate_quarter(image: np.ndarray, quarter_turns: int) -> np.ndarray:
    """Rotate counter-clockwise by 90° steps."""
    return np.ascontiguousarray(np.rot90(image, quarter_turns % 4))


def skew_angle(image: np.ndarray, max_angle: float = MAX_SKEW) -> float:
    """The page's skew in degrees (counter-clockwise positive), by projection profiles: the
    rotation under which rows of ink are sharpest (text lines fall into few rows). Coarse
    steps of ``SKEW_STEP`` over ±``max_angle``, then 0.1° around the best."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    scale = min(1.0, 1000 / max(grey.shape))
    if scale < 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # Not the frame's edges: a strip of the desk a straightened photo keeps, or a scanner's
    # dark border, is one long row of ink at 0° that outweighed a page's text.
    m = int(SKEW_MARGIN * max(grey.shape))
    grey = grey[m : grey.shape[0] - m, m : grey.shape[1] - m]
    # Against the paper's own brightness nearby: a shadow across a photographed sheet is no
    # ink (it had made a third of one page ink, and its rows no sharper at its skew).
    paper = cv2.dilate(grey, np.ones((PAPER_WINDOW, PAPER_WINDOW), np.uint8))
    grey = np.clip(grey.astype(np.float32) / np.maximum(paper, 1) * 255, 0, 255).astype(np.uint8)
    _, ink = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink = ink.astype(np.float32)
    h, w = ink.shape
    centre = (w / 2, h / 2)

    def sharpness(angle: float) -> float:
        matrix = cv2.getRotationMatrix2D(centre, -angle, 1.0)
        rows = cv2.warpAffine(ink, matrix, (w, h), flags=cv2.INTER_NEAREST).sum(axis=1)
        return float(np.sum(np.diff(rows) ** 2))

    # A page of long table rows is sharp within half a degree of its skew only: coarse
    # steps of a whole degree stepped over it (-1.5° read as 0°).
    coarse = max(np.arange(-max_angle, max_angle + 0.25, SKEW_STEP), key=sharpness)
    fine = max(np.arange(coarse - SKEW_STEP, coarse + SKEW_STEP + 0.05, 0.1), key=sharpness)
    return round(float(fine), 2)


def deskew_matrix(shape: tuple[int, int], angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The affine map (2 x 3) by which ``deskew`` moves the points of a page of ``shape``
    (height, width), and the (width, height) of the canvas it draws them on."""
    h, w = shape
    if abs(angle) < MIN_SKEW:
        return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), (w, h)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += nw / 2 - w / 2
    matrix[1, 2] += nh / 2 - h / 2
    return matrix, (nw, nh)


def deskew(image: np.ndarray, angle: float) -> np.ndarray:
    """Rotate by ``-angle`` degrees about the centre onto a white canvas large enough to keep
    every corner."""
    if abs(angle) < MIN_SKEW:
        return image
    matrix, (nw, nh) = deskew_matrix(image.shape[:2], angle)
    return cv2.warpAffine(
        image,
        matrix,
        (nw, nh),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(255, 255, 255),
    )


# Grey levels (0-255) by which a photographed sheet is lighter than its background (the
# generator's photos: 100 or more; a scan's uneven lighting: about 20).
SHEET_CONTRAST = 40
SHEET_FILL = 0.95  # page_quad: the share of its four-cornered outline the sheet must fill
THRESHOLD_STEP = 10  # page_quad: grey levels between the thresholds tried


def _four_corners(contour: np.ndarray, shape: tuple[int, int]) -> np.ndarray | None:
    """The outline's convex hull simplified to four corners, or None where it has no four
    clear ones (a corner folded, or the paper cut off in a curve). A side that runs along
    the frame's edge is where the photo cut the sheet off, not one of its edges: the sides
    either side of it are followed until they meet, beyond the frame (``shape``, height and
    width)."""
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    # Finest first: a corner the frame cut off leaves a short side on its edge.
    for eps in (0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08):
        corners = cv2.approxPolyDP(hull, eps * perimeter, True).reshape(-1, 2)
        if len(corners) > 4:
            corners = _beyond_frame(corners, shape)
        if len(corners) <= 4:
            return corners if len(corners) == 4 else None
    return None


FRAME_EDGE = 0.01  # _beyond_frame: a corner this near (share of the frame) lies on its edge


def _beyond_frame(corners: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``corners`` with each side that lies along an edge of the frame taken out: its two
    ends give way to the point where the sides before and after it meet. Left as they are
    where those sides do not meet ahead of the cut (the sheet is not cut off there)."""
    h, w = shape
    near = FRAME_EDGE * max(h, w)
    points = [c.astype(np.float32) for c in corners]
    i = 0
    while len(points) > 4 and i < len(points):
        a, b = points[i], points[(i + 1) % len(points)]
        low, high = np.minimum(a, b), np.maximum(a, b)
        if high[0] < near or low[0] > w - 1 - near or high[1] < near or low[1] > h - 1 - near:
            before, after = points[i - 1], points[(i + 2) % len(points)]
            meet = _meet([(before, a - before), (b, after - b)])
            if (
                meet is not None
                and float((meet[0] - a) @ (a - before)) > 0
                and float((meet[0] - b) @ (b - after)) > 0
            ):
                points[i] = meet[0]
                del points[(i + 1) % len(points)]
                continue
        i += 1
    return np.array(points, dtype=np.float32)


SIDE_BAND = 0.01  # _straight_sides: a side's outline lies within this share of the frame
SIDE_SHARE = 0.6  # _straight_sides: of its length, at least this much along the line


def _straight_sides(
    contour: np.ndarray, corners: np.ndarray, shape: tuple[int, int]
) -> np.ndarray | None:
    """The corners where the sheet's four edges meet, each edge a line fitted to the outline
    between two rough corners; None where an edge is not straight (a dark band across the
    top of the sheet cut it off in a step). An edge to a corner beyond the frame (``shape``,
    height and width) is judged on its part inside the frame."""
    h, w = shape
    points = contour.reshape(-1, 2).astype(np.float32)
    band = SIDE_BAND * max(h, w)
    lines = []
    for a, b in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        a, b = a.astype(np.float32), b.astype(np.float32)
        d = b - a
        length = float(np.linalg.norm(d))
        inside, p, q = cv2.clipLine((0, 0, w, h), _pixel(a), _pixel(b))
        seen = float(np.linalg.norm(np.subtract(q, p))) if inside else 0.0
        along = (points - a) @ d / (length * length)
        across = np.abs(d[0] * (points[:, 1] - a[1]) - d[1] * (points[:, 0] - a[0])) / length
        side = points[(along > 0.1) & (along < 0.9) & (across < band)]
        if len(side) < 2 or np.ptp(side @ d / length) < SIDE_SHARE * 0.8 * min(length, seen):
            return None
        vx, vy, x0, y0 = cv2.fitLine(side, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    return _meet(lines)


def _pixel(point: np.ndarray) -> tuple[int, int]:
    return round(float(point[0])), round(float(point[1]))


EDGE_SEARCH = 0.03  # _sharpest_edges: how far (share of the frame) an edge's ends may move
EDGE_STEP = 2  # _sharpest_edges: the contrast is taken this many pixels either side


def _meet(lines: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray | None:
    """Where each line (a point and a direction) meets the one before it."""
    corners = []
    for (p, u), (q, v) in zip([lines[-1], *lines[:-1]], lines, strict=True):
        denom = float(u[0] * v[1] - u[1] * v[0])
        if abs(denom) < 1e-6:
            return None
        t = float((q - p)[0] * v[1] - (q - p)[1] * v[0]) / denom
        corners.append(p + t * u)
    return np.array(corners, dtype=np.float32)


def _sharpest_edges(smooth: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray | None, float]:
    """The corners moved so that each edge runs where the sheet is most lighter than what
    lies beside it along the whole edge, and that contrast on the weakest edge (grey
    levels). A shadow darkens paper and desk alike, so an edge in shadow, which a threshold
    loses, still stands out there; a desk as light as the sheet in places, which a threshold
    joins to it, does not along a whole edge."""
    reach = max(1, int(EDGE_SEARCH * max(smooth.shape)))
    offsets = np.arange(-reach, reach + 1, dtype=np.float32)
    t = np.linspace(0.1, 0.9, 160, dtype=np.float32)
    centre = corners.mean(axis=0)
    h, w = smooth.shape
    lines = []
    weakest = float("inf")
    for a, b in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        d = (b - a) / max(1e-6, float(np.linalg.norm(b - a)))
        n = np.array([-d[1], d[0]], np.float32)
        if float((centre - a) @ n) < 0:
            n = -n  # towards the sheet
        # Every line from a moved by one offset to b moved by another, sampled along t.
        ends_a = a[None, :] + offsets[:, None] * n[None, :]
        ends_b = b[None, :] + offsets[:, None] * n[None, :]
        points = (
            ends_a[:, None, None, :] * (1 - t)[None, None, :, None]
            + ends_b[None, :, None, :] * t[None, None, :, None]
        )
        shape = (len(offsets) ** 2, len(t))
        inner = (points + EDGE_STEP * n).reshape(*shape, 2)
        outer = (points - EDGE_STEP * n).reshape(*shape, 2)
        contrast = cv2.remap(smooth, inner[..., 0], inner[..., 1], cv2.INTER_LINEAR) - cv2.remap(
            smooth, outer[..., 0], outer[..., 1], cv2.INTER_LINEAR
        )
        # Only where both sides lie inside the frame: an edge running on beyond it (a
        # corner the photo cut off) would otherwise be drawn to the frame's own edge.
        # (Where every line's ends lie inside, so does every point between them.)
        ends = np.concatenate([ends_a, ends_b])
        outside = np.zeros(shape, dtype=bool)
        if ends.min() < EDGE_STEP or (ends.max(axis=0) > np.array([w, h]) - 1 - EDGE_STEP).any():
            for side in (inner, outer):
                outside |= (side[..., 0] < 0) | (side[..., 0] > w - 1)
                outside |= (side[..., 1] < 0) | (side[..., 1] > h - 1)
        if outside.any():
            contrast[outside] = np.nan
            blind = np.all(outside, axis=1)  # lines wholly beyond the frame
            contrast[blind] = -np.inf
            median = np.nanmedian(contrast, axis=1)
        else:
            median = np.median(contrast, axis=1)
        score = median.reshape(len(offsets), len(offsets))
        i, j = np.unravel_index(int(np.argmax(score)), score.shape)
        weakest = min(weakest, float(score[i, j]))
        lines.append((ends_a[i], ends_b[j] - ends_a[i]))
    return _meet(lines), weakest


def _area_in_frame(corners: np.ndarray, shape: tuple[int, int]) -> float:
    """The area of the four-cornered outline inside the frame (its corners may lie
    beyond it, where the photo cut the sheet off)."""
    h, w = shape
    frame = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    hull = cv2.convexHull(corners.astype(np.float32))
    area, _ = cv2.intersectConvexConvex(hull, frame)
    return float(area)


def page_quad(image: np.ndarray) -> np.ndarray | None:
    """The four corners of a sheet photographed on a darker background (top-left, top-right,
    bottom-right, bottom-left, in pixels), or None when the image is the sheet already.

    The sheet is a bright region that fills its four-cornered outline. A shadow over part
    of the sheet darkens it below the level that best parts all the image's light pixels
    from its dark ones (Otsu's), so lower thresholds are tried too, down to just above the
    brightness of the frame's border (what the sheet lies on); of the outlines found, the
    one whose weakest edge stands out most from what lies beside it is kept."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    scale = min(1.0, 800 / max(grey.shape))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(small, (9, 9), 0)  # a desk's grain
    otsu, _ = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    h, w = small.shape
    b = max(2, int(0.02 * min(h, w)))
    border = np.concatenate(
        [blurred[:b].ravel(), blurred[-b:].ravel(), blurred[:, :b].ravel(), blurred[:, -b:].ravel()]
    )
    below = float(np.median(border))
    total = float(h * w)
    smooth = cv2.GaussianBlur(small, (0, 0), 2).astype(np.float32)
    best: tuple[float, np.ndarray] | None = None
    tried: list[np.ndarray] = []
    for level in np.arange(otsu, below + THRESHOLD_STEP, -THRESHOLD_STEP):
        paper = cv2.morphologyEx(
            (blurred > level).astype(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)
        )
        # Every point of the outline: its straight edges are fitted below.
        contours, _ = cv2.findContours(paper, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        if not contours:
            continue
        sheet = max(contours, key=cv2.contourArea)
        area = float(cv2.contourArea(sheet))
        if not 0.3 * total < area < 0.95 * total:
            continue  # no sheet, or the sheet fills the frame: nothing to straighten
        corners = _four_corners(sheet, (h, w))
        if corners is not None:
            corners = _straight_sides(sheet, corners, (h, w))
        if corners is None or area < SHEET_FILL * _area_in_frame(corners, (h, w)):
            continue
        if any(np.abs(corners - c).max() < EDGE_SEARCH * max(h, w) for c in tried):
            continue  # as good as one already tried
        tried.append(corners)
        refined, contrast = _sharpest_edges(smooth, corners)
        if refined is not None and (best is None or contrast > best[0]):
            best = (contrast, refined)
    if best is None:
        return None
    quad = best[1]
    # A sheet stands out from what it lies on; light falling unevenly on a scan parts a
    # brighter corner from the rest by a few grey levels only.
    inside = np.zeros(small.shape, np.uint8)
    cv2.fillPoly(inside, [quad.astype(np.int32)], 1)
    if np.median(small[inside == 1]) - np.median(small[inside == 0]) < SHEET_CONTRAST:
        return None
    quad = quad.astype(np.float32) / scale
    by_sum, by_diff = quad.sum(axis=1), np.diff(quad, axis=1).ravel()
    return np.array(
        [
            quad[by_sum.argmin()],
            quad[by_diff.argmin()],
            quad[by_sum.argmax()],
            quad[by_diff.argmax()],
        ],
        dtype=np.float32,
    )


def dewarp(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The sheet inside ``quad`` warped to an upright rectangle (undoes a phone's
    perspective)."""
    tl, tr, br, bl = quad
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    target = np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32
    )
    matrix = cv2.getPerspectiveTransform(quad, target)
    return cv2.warpPerspective(
        image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _reach(point: np.ndarray, direction: np.ndarray, shape: tuple[int, int]) -> float:
    """How far ``point`` may move along ``direction`` (a unit vector) and stay inside the
    frame of ``shape`` (height, width): 0 where it lies outside it already."""
    h, w = shape
    (x, y), (dx, dy) = point, direction
    if not (0 <= x <= w - 1 and 0 <= y <= h - 1):
        return 0.0
    reach = float("inf")
    for at, step, top in ((x, dx, w - 1), (y, dy, h - 1)):
        if step > 1e-9:
            reach = min(reach, (top - at) / step)
        elif step < -1e-9:
            reach = min(reach, at / -step)
    return reach


def bands_beyond(quad: np.ndarray, shape: tuple[int, int], least: float = 1.0) -> list[np.ndarray]:
    """The bands outside the top, bottom, left and right sides of a sheet's outline (top-left
    corner first), each a quadrilateral for ``dewarp`` the way up the sheet is, as deep as
    the frame of ``shape`` (height, width) reaches beyond the side's middle along the
    outline's sides, of those ``least`` pixels deep or more. Where a shadow across the
    sheet ended the outline short, the sheet's text runs on there."""
    c = [np.asarray(corner, dtype=np.float64) for corner in quad]  # tl, tr, br, bl

    def away(k: int, other: int) -> np.ndarray:
        """Out from corner ``k`` along the side that joins it to corner ``other``."""
        v = c[k] - c[other]
        return np.asarray(v / np.linalg.norm(v))

    out = []
    # Each side's corners (i, j) in clockwise order move out along the sides that meet it
    # (to i', j'); ``order`` puts [i, j, i', j'] in the sheet's order, top-left first.
    for i, j, order in (
        (0, 1, (2, 3, 1, 0)),  # top: tl, tr moved up
        (2, 3, (1, 0, 2, 3)),  # bottom: br, bl moved down
        (3, 0, (3, 1, 0, 2)),  # left: bl, tl moved left
        (1, 2, (0, 2, 3, 1)),  # right: tr, br moved right
    ):
        corners = np.array([c[i], c[j]])
        directions = np.array([away(i, (i + 3) % 4), away(j, (j + 1) % 4)])
        # As far as the side's middle goes before the frame: an outline may run beyond
        # the frame at a corner (a sheet the photo cut), its far corners then too.
        middle = directions.mean(axis=0)
        deep = _reach(corners.mean(axis=0), middle / np.linalg.norm(middle), shape)
        if deep < least:
            continue
        band = np.concatenate([corners, corners + deep * directions])
        out.append(band[list(order)].astype(np.float32))
    return out


# text_quad: text lines whose directions meet nearer than this many frame sides from the
# frame's centre are in perspective (their angles differ by 1.5° or more across the page).
# At 20 sides (3°) the rows of a wide table left bent by a milder keystone broke into two
# lines each; a scan's lines, turned or not, run parallel and meet nowhere near.
PERSPECTIVE = 40.0
# text_quad: columns (found from where lines start and end, a coarser guide than the lines'
# own directions) that meet nearer than this many frame sides are in perspective. A flat
# scan's columns were judged to meet 23 to 36 sides away.
KEYSTONE = 20.0
COLUMN_TILT = 20.0  # text_quad: degrees the page's verticals may lean from the frame's
CONVERGE = 0.4  # text_quad: how much, at most, they converge per frame side
MEET_TOLERANCE = 1.5  # text_quad: degrees a line may miss the point where most lines meet
TEXT_MARGIN = 0.05  # text_quad: share of the text's extent kept around it


def _cross2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The z of the cross product of 2-vectors (numpy's cross wants 3-vectors)."""
    return np.asarray(a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0])


def _through(points: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Homogeneous lines (n, 3) through each point along its direction."""
    ones = np.ones((len(points), 1))
    return np.cross(np.hstack([points, ones]), np.hstack([points + directions, ones]))


def _vanishing(points: np.ndarray, directions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Where the lines (each a point and a unit direction) meet, as a homogeneous point
    (one at infinity where they are parallel): of the points where two of them meet, the
    one that most of the lines' weight passes within ``MEET_TOLERANCE`` of, refined on
    those lines by least squares."""
    lines = _through(points, directions)
    lines /= np.linalg.norm(lines[:, :2], axis=1, keepdims=True)
    i, j = np.triu_indices(len(lines), 1)
    candidates = np.cross(lines[i], lines[j])
    candidates = candidates[np.linalg.norm(candidates, axis=1) > 1e-12]
    candidates /= np.linalg.norm(candidates, axis=1, keepdims=True)
    # The sine of the angle between each line and the way from its point to each candidate.
    towards = candidates[:, None, :2] - points[None, :, :] * candidates[:, None, 2:]
    towards /= np.maximum(np.linalg.norm(towards, axis=2, keepdims=True), 1e-12)
    sine = np.abs(_cross2(towards, directions[None, :, :]))
    inlier = sine < np.sin(np.radians(MEET_TOLERANCE))
    best = inlier[int(np.argmax(inlier @ weights))]
    if best.sum() < 2:
        best[:] = True
    weighted = lines[best] * weights[best, None]
    return np.asarray(np.linalg.svd(weighted)[2][-1])


def _aligned(ends: list[np.ndarray], horizontal: np.ndarray, tolerance: float) -> np.ndarray:
    """The point where the page's verticals meet (homogeneous, relative to the frame's
    centre): of verticals leaning at most ``COLUMN_TILT`` from the frame's and converging
    by at most ``CONVERGE`` per frame side, those along which the most pairs of line starts
    (and pairs of line ends: left-aligned labels, right-aligned amounts) line up within
    ``tolerance``; of equals, the middle one (a page whose ends line up nowhere keeps its
    verticals as they are). A coarse grid first, then a fine one around its best."""
    # Every line end is carried along its vertical to the horizontal through the centre.
    reference = np.cross([0.0, 0.0, 1.0], horizontal)
    way = horizontal[:2] / np.linalg.norm(horizontal[:2])
    lean, converge = np.radians(COLUMN_TILT), CONVERGE
    theta, kappa = 0.0, 0.0
    for _ in range(2):
        grid = np.meshgrid(
            theta + np.linspace(-lean, lean, 21), kappa + np.linspace(-converge, converge, 21)
        )
        t, k = (g.ravel() for g in grid)
        candidates = np.stack([np.sin(t), np.cos(t), k], axis=1)
        score = np.zeros(len(candidates))
        for points in ends:
            homogeneous = np.hstack([points, np.ones((len(points), 1))])
            verticals = np.cross(homogeneous[None, :, :], candidates[:, None, :])
            meet = np.cross(verticals, reference)
            x = np.sort((meet[..., :2] / meet[..., 2:3]) @ way, axis=1)
            # Pairs within tolerance, counted on each candidate's sorted row at once.
            x += (np.arange(len(candidates)) * (np.ptp(x) + 2 * tolerance))[:, None]
            flat = x.ravel()
            pairs = np.searchsorted(flat, flat + tolerance, side="right") - np.arange(flat.size)
            score += (pairs - 1).reshape(x.shape).sum(axis=1)
        top = score == score.max()
        theta, kappa = float(t[top].mean()), float(k[top].mean())
        lean, converge = lean / 10, converge / 10
    return np.array([np.sin(theta), np.cos(theta), kappa])


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points (n, 2) moved by a homography."""
    return np.asarray(cv2.perspectiveTransform(points[None], matrix)[0])


def text_quad(lines: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray | None:
    """The four-cornered outline, on a page in perspective, of the rectangle around its
    text, found from the text lines themselves (quadrilaterals from the text detector,
    top-left corner first), for ``dewarp``; None when the lines run parallel and its
    columns meet no nearer than ``KEYSTONE`` (a scan, or a sheet already straightened), or
    there are too few of them to tell. For a photographed sheet whose edges ``page_quad``
    cannot find: paper on a light desk, a dark band printed to the sheet's edge. The lines'
    directions meet at one vanishing point; the columns their left and right ends form
    (left-aligned labels, right-aligned amounts) at the other."""
    h, w = shape
    side = float(max(h, w))
    centre = np.array([w / 2, h / 2])
    quads = [(np.asarray(q, dtype=np.float64) - centre) / side for q in lines]
    if len(quads) < 8:
        return None
    starts = np.array([(q[0] + q[3]) / 2 for q in quads])
    ends = np.array([(q[1] + q[2]) / 2 for q in quads])
    heights = np.array(
        [(np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])) / 2 for q in quads]
    )
    lengths = np.linalg.norm(ends - starts, axis=1)
    long = lengths > 4 * heights  # a direction worth trusting
    if long.sum() < 8:
        return None
    along = (ends - starts)[long] / lengths[long, None]
    horizontal = _vanishing((starts + ends)[long] / 2, along, lengths[long])
    vertical = _aligned([starts, ends], horizontal, 0.15 * float(np.median(heights)))
    rows_level = np.hypot(*horizontal[:2]) >= PERSPECTIVE * abs(horizontal[2])
    columns_upright = np.hypot(*vertical[:2]) >= KEYSTONE * abs(vertical[2])
    if rows_level and columns_upright:
        return None
    horizon = np.cross(horizontal, vertical)  # the image of the line at infinity
    text = np.concatenate(quads)
    if abs(horizon[2]) < 1e-12 or (text @ horizon[:2] + horizon[2]).min() * horizon[2] <= 0:
        return None  # the horizon crosses the text: no perspective of a flat sheet
    # Send the horizon back to infinity; then turn and shear the two directions square.
    matrix = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], horizon / horizon[2]])
    flat = _apply(matrix, np.concatenate([starts[long], ends[long]]))
    n = int(long.sum())
    x_axis = (flat[n:] - flat[:n]).sum(axis=0)
    y_axis = (matrix @ vertical)[:2]
    x_axis, y_axis = x_axis / np.linalg.norm(x_axis), y_axis / np.linalg.norm(y_axis)
    if float(_cross2(x_axis, y_axis)) < 0:
        y_axis = -y_axis  # downwards, as the page reads
    square = np.eye(3)
    square[:2, :2] = np.linalg.inv(np.column_stack([x_axis, y_axis]))
    matrix = square @ matrix
    corners = _apply(matrix, text)
    low, high = corners.min(axis=0), corners.max(axis=0)
    low, high = low - TEXT_MARGIN * (high - low), high + TEXT_MARGIN * (high - low)
    box = _apply(np.linalg.inv(matrix), np.array([low, [high[0], low[1]], high, [low[0], high[1]]]))
    if np.abs(box).max() > 1:  # corners a frame's side away: not a sheet in the photo
        return None
    return np.asarray(box * side + centre, dtype=np.float32)


def normalise_contrast(image: np.ndarray) -> np.ndarray:
    """Stretch the lightness channel with CLAHE (uneven lighting, faded print)."""
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
    lab[:, :, 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(lab[:, :, 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def remove_rules(image: np.ndarray, min_length: int = 80) -> np.ndarray:
    """Paint long horizontal and vertical ruling lines white (table grids, boxes)."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    ink = cv2.adaptiveThreshold(
        255 - grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, -2
    )
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (min_length, 1))
    )
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, min_length))
    )
    rules = cv2.bitwise_or(horizontal, vertical)
    out = image.copy()
    out[cv2.dilate(rules, np.ones((3, 3), np.uint8)) > 0] = 255
    return out


def despeckle(image: np.ndarray, max_area: int | None = None) -> np.ndarray:
    """Paint isolated specks white: dark connected components of at most ``max_area``
    pixels (default: scaled to the page, about a 0.25 mm dot at 200 dpi) that no larger
    ink lies near, so the dots of i, j and punctuation stay."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if max_area is None:
        max_area = max(2, round((max(image.shape[:2]) / 2200) ** 2 * 4))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] <= max_area
    small[0] = False  # the background
    if not small.any():
        return image
    # Ink that is not a small speck, grown by about a character's width (1/200 of the page,
    # 12 px at 200 dpi): a speck that close belongs to text (a decimal point, a colon).
    big = ~small[labels] & (labels > 0)
    reach = 2 * max(4, round(max(image.shape[:2]) / 200)) + 1
    near_text = cv2.dilate(big.astype(np.uint8), np.ones((reach, reach), np.uint8)) > 0
    specks = small[labels] & ~near_text
    out = image.copy()
    out[specks] = 255
    return out


def median_denoise(image: np.ndarray, size: int = 3) -> np.ndarray:
    """A median filter: removes salt-and-pepper noise, softens thin strokes."""
    return cv2.medianBlur(image, size)


RULE_SHARE = 0.85  # blank_columns: a column dark over this share of a line crop is a rule
SPECK = 2  # blank_columns: ink of this many pixels or fewer in a line's margin is noise


def blank_columns(line: np.ndarray) -> np.ndarray:
    """For each column of a text-line crop (RGB or grey; dark on light or light on dark),
    whether it holds no ink of text: the gaps between letters, words and columns. Specks of
    scan noise in the margins (``SPECK`` dark pixels or fewer, apart from the text) and a
    column dark over nearly the crop's whole height (a table's cell border: the crop has a
    margin above and below its text, a letter does not fill it) count as blank, and so does
    ink of a neighbouring line cut into the crop's top or bottom."""
    grey = (cv2.cvtColor(line, cv2.COLOR_RGB2GRAY) if line.ndim == 3 else line).astype(np.float32)
    if np.median(grey) < 128:
        grey = 255 - grey
    paper, ink = np.median(grey), np.percentile(grey, 2)
    # A scanned rule is often grey, lighter than the letters: the test is whether all but
    # a few of its pixels are darker than the paper by a quarter of the contrast.
    rule = np.percentile(grey, 100 * RULE_SHARE, axis=0) < paper - (paper - ink) / 4
    inked = grey < (paper + ink) / 2
    # The line's own band of rows: the run of inked rows holding the most ink. A crop cut
    # generously takes in the feet or tops of the lines above and below, which would
    # bridge the gaps between this line's words.
    bands = blank_runs(inked.sum(axis=1) > SPECK)
    if len(bands) > 1:
        top, bottom = max(bands, key=lambda b: int(inked[b[0] : b[1]].sum()))
        inked[:top] = inked[bottom:] = False
    dark = inked.sum(axis=0)
    blank = np.asarray((dark == 0) | rule)
    # Specks before the first letter and after the last: runs of inked columns with a
    # pixel or two (inside the line they may be full stops).
    letters = [(a, b) for a, b in blank_runs(~blank) if dark[a:b].sum() > SPECK]
    if letters:
        blank[: letters[0][0]] = blank[letters[-1][1] :] = True
    return blank


def blank_runs(blank: np.ndarray) -> list[tuple[int, int]]:
    """The runs of blank columns (``blank_columns``; of any true values), as (first, end)
    column pairs."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], blank.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


COLOURED = 60  # fade_colour: a pixel whose channels differ by more than this is coloured


def fade_colour(line: np.ndarray) -> np.ndarray:
    """A text-line crop (RGB) in grey with coloured marks across black print faded: each
    pixel takes its brightest channel, so black print stays black, print under a stamp's
    translucent ink stays darker than the stamp, and a stamp or pen stroke on paper turns
    light. Left as it is where the line's own ink is mostly coloured (a title printed in
    colour) or the line is light on dark (a coloured band), which the brightest channel would
    wash out."""
    if line.ndim != 3 or line.shape[2] != 3:
        return line
    r, g, b = cv2.split(line)
    brightest = cv2.max(cv2.max(r, g), b)
    coloured = cv2.subtract(brightest, cv2.min(cv2.min(r, g), b)) > COLOURED
    if not coloured.any():
        return line
    grey = cv2.cvtColor(line, cv2.COLOR_RGB2GRAY)
    paper, darkest = np.median(grey), np.percentile(grey, 2)
    if paper < 128:  # light print on a dark band
        return line
    ink = grey < paper - (paper - darkest) / 2
    if not ink.any() or (coloured & ink).sum() > ink.sum() / 2:
        return line
    return cv2.cvtColor(brightest, cv2.COLOR_GRAY2RGB)


def ink_fraction(image: np.ndarray) -> float:
    """Share of dark pixels: near 0 for a blank page, near 1 for an all-black one."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return float((grey < 128).mean())


__all__ = [
    "blank_columns",
    "blank_runs",
    "deskew",
    "despeckle",
    "dewarp",
    "fade_colour",
    "ink_fraction",
    "median_denoise",
    "normalise_contrast",
    "page_quad",
    "remove_rules",
    "rotate_quarter",
    "skew_angle",
    "to_rgb",
]
