#!/usr/bin/env python3
"""Independent reference numbers for roomscribe's evaluation harness.

Generates random layout scenes, trajectories and point clouds from a fixed
seed, scores them with off-the-shelf Python packages, and writes both the
inputs (cases.json) and the expected outputs (expected.json) beside this
script. The Rust tests (tests/eval_reference.rs) read both and compare to
1e-6 without needing Python.

Packages (PyPI): shapely (polygon intersection/union), scipy
(linear_sum_assignment, cKDTree), evo (trajectory association, Umeyama
alignment, APE/RPE), bbox (the box IoU SpatialLM's script uses, for
--spatiallm-compat), numpy.

    python3 -m venv /tmp/evalref
    /tmp/evalref/bin/pip install shapely scipy evo bbox
    /tmp/evalref/bin/python eval/reference/make_reference.py

The metric definitions are those of eval/README.md; this file implements
them again from that text, on top of the packages above.
"""

import copy
import json
import math
import os

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
from shapely.geometry import Polygon

from bbox import BBox3D
from bbox.metrics import iou_3d as bbox_iou_3d

from evo.core import metrics, sync
from evo.core.trajectory import PoseTrajectory3D

SEED = 20260426
HERE = os.path.dirname(os.path.abspath(__file__))

THRESHOLDS = [0.25, 0.5]
PARALLEL_TOL = math.sin(math.radians(5))
DIST_TOL = 0.2
MIN_SCALE = 0.1
LARGE = 1e6
LAYOUT_CLASSES = ["wall", "door", "window"]
OBJECT_CLASSES = [
    "curtain", "nightstand", "chandelier", "wardrobe", "bed", "sofa", "chair",
    "cabinet", "dining table", "plants", "tv cabinet", "coffee table",
    "side table", "air conditioner", "dresser", "stool", "refrigerator",
    "painting", "carpet", "tv",
]
USED_OBJECTS = ["bed", "chair", "sofa", "cabinet", "tv", "carpet", "painting", "nightstand"]
DIST_CM = list(range(1, 101))

# ---------------------------------------------------------------- generation


def rnd_room(rng):
    w, d = rng.uniform(2.5, 7.0), rng.uniform(2.5, 6.0)
    x0, y0 = rng.uniform(-3, 3), rng.uniform(-3, 3)
    h = rng.uniform(2.4, 3.0)
    corners = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + d), (x0, y0 + d)]
    walls = []
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        walls.append({"id": i, "a": [a[0], a[1], 0.0], "b": [b[0], b[1], 0.0], "height": h})
    return walls


def opening_on(rng, wall, kind, oid):
    a, b = np.array(wall["a"][:2]), np.array(wall["b"][:2])
    t = rng.uniform(0.2, 0.8)
    c = a + t * (b - a)
    if kind == "door":
        width, height = rng.uniform(0.7, 1.2), rng.uniform(1.9, 2.2)
        z = height / 2
    else:
        width, height = rng.uniform(0.6, 1.8), rng.uniform(0.8, 1.4)
        z = rng.uniform(1.1, 1.7)
    return {"id": oid, "kind": kind, "wall": wall["id"], "center": [c[0], c[1], z], "width": width, "height": height}


def rnd_box(rng, cls):
    size = [rng.uniform(0.3, 2.2), rng.uniform(0.3, 2.0), rng.uniform(0.05, 1.8)]
    if rng.random() < 0.15:
        size[rng.integers(0, 3)] = rng.uniform(0.0, 0.09)  # exercises the 0.1 m clamp
    return {"class": cls, "center": [rng.uniform(-3, 6), rng.uniform(-3, 5), rng.uniform(0.0, 2.0)],
            "size": size, "yaw": rng.uniform(-math.pi, math.pi)}


def perturb_wall(rng, w):
    w = copy.deepcopy(w)
    a, b = np.array(w["a"]), np.array(w["b"])
    sigma = rng.choice([0.005, 0.02, 0.05, 0.3])
    a[:2] += rng.normal(0, sigma, 2)
    b[:2] += rng.normal(0, sigma, 2)
    if rng.random() < 0.4:  # shorten or lengthen along the wall: IoU spread
        d = (b[:2] - a[:2]) / np.linalg.norm(b[:2] - a[:2])
        a[:2] -= rng.uniform(-1.0, 1.0) * d
        b[:2] += rng.uniform(-1.0, 1.0) * d
    mode = rng.random()
    if mode < 0.25:  # rotate about the centre by up to 8 degrees
        ang = math.radians(rng.uniform(-8, 8))
        c = (a + b) / 2
        R = np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]])
        a[:2] = c[:2] + R @ (a[:2] - c[:2])
        b[:2] = c[:2] + R @ (b[:2] - c[:2])
    elif mode < 0.5:  # shift across the plane, either side of the 0.2 m test
        d = b[:2] - a[:2]
        n = np.array([-d[1], d[0]]) / np.linalg.norm(d)
        off = rng.uniform(-0.35, 0.35)
        a[:2] += off * n
        b[:2] += off * n
    if rng.random() < 0.2:
        a, b = b, a
    if rng.random() < 0.15:
        b[2] += rng.uniform(-0.05, 0.05)
    w["a"], w["b"] = a.tolist(), b.tolist()
    w["height"] = w["height"] * rng.uniform(0.6, 1.2)
    return w


def perturb_box(rng, o):
    o = copy.deepcopy(o)
    s = rng.choice([0.02, 0.1, 0.3, 0.8])
    o["center"] = (np.array(o["center"]) + rng.normal(0, s, 3) * [1, 1, 0.3]).tolist()
    o["size"] = [max(v * rng.uniform(0.7, 1.3), 0.0) for v in o["size"]]
    o["yaw"] += rng.normal(0, 0.15)
    if rng.random() < 0.2:
        o["yaw"] += math.pi / 2
        o["size"][0], o["size"][1] = o["size"][1], o["size"][0]
    if rng.random() < 0.1:
        o["class"] = str(rng.choice(USED_OBJECTS))
    return o


def rnd_scene_pair(rng, idx):
    walls = rnd_room(rng)
    if rng.random() < 0.2:  # a degenerate wall, dropped by the metric
        walls.append({"id": 4, "a": [1.0, 1.0, 0.0], "b": [1.0, 1.0 + 1e-7, 0.0], "height": 2.5})
    openings = []
    for k in range(rng.integers(0, 4)):
        openings.append(opening_on(rng, walls[rng.integers(0, 4)], "door", k))
    for k in range(rng.integers(0, 4)):
        openings.append(opening_on(rng, walls[rng.integers(0, 4)], "window", k))
    objects = [rnd_box(rng, str(rng.choice(USED_OBJECTS))) for _ in range(rng.integers(0, 10))]
    gt = {"walls": walls, "openings": openings, "objects": objects}

    pwalls = [perturb_wall(rng, w) for w in walls if rng.random() < 0.85]
    for k in range(rng.integers(0, 3)):
        a = rng.uniform(-3, 6, 2)
        b = a + rng.uniform(-4, 4, 2)
        pwalls.append({"id": 10 + k, "a": [a[0], a[1], 0.0], "b": [b[0], b[1], 0.0], "height": rng.uniform(2, 3)})
    popen = []
    for o in openings:
        if rng.random() < 0.8:
            p = copy.deepcopy(o)
            host = next((w for w in pwalls if w["id"] == o["wall"]), None)
            if host is not None and rng.random() < 0.8:
                # keep the centre on the predicted wall's line
                a, b = np.array(host["a"][:2]), np.array(host["b"][:2])
                t = np.dot(np.array(o["center"][:2]) - a, b - a) / np.dot(b - a, b - a)
                c = a + t * (b - a)
                p["center"][0], p["center"][1] = c[0], c[1]
            p["center"] = (np.array(p["center"]) + rng.normal(0, rng.choice([0.02, 0.1, 0.4]), 3)).tolist()
            p["width"] *= rng.uniform(0.7, 1.3)
            p["height"] *= rng.uniform(0.7, 1.3)
            if rng.random() < 0.1:
                p["wall"] = 99  # host missing: dropped
            popen.append(p)
    pobj = [perturb_box(rng, o) for o in objects if rng.random() < 0.85]
    for _ in range(rng.integers(0, 3)):
        pobj.append(rnd_box(rng, str(rng.choice(USED_OBJECTS))))
    pred = {"walls": pwalls, "openings": popen, "objects": pobj}
    if idx % 11 == 5:
        pred = {"walls": [], "openings": [], "objects": []}  # empty prediction
    if idx % 13 == 7:
        gt = {"walls": [], "openings": [], "objects": []}  # empty ground truth
    return {"name": f"scene_{idx:03d}", "pred": pred, "gt": gt}


# --------------------------------------------------------- layout metrics


def valid_wall(w):
    return abs(w["b"][0] - w["a"][0]) > 1e-6 or abs(w["b"][1] - w["a"][1]) > 1e-6


def wall_corners(w):
    a, b, h = np.array(w["a"], float), np.array(w["b"], float), w["height"]
    up = np.array([0, 0, h])
    return np.array([a, b, b + up, a + up])


def opening_corners(o, host):
    a, b = np.array(host["a"][:2], float), np.array(host["b"][:2], float)
    d = (b - a) / np.linalg.norm(b - a)
    c = np.array(o["center"], float)
    half = 0.5 * np.array([d[0] * o["width"], d[1] * o["width"], o["height"]])
    s, e = c - half, c + half
    return np.array([s, [e[0], e[1], s[2]], e, [s[0], s[1], e[2]]])


def scene_quads(scene):
    out = {"wall": [], "door": [], "window": []}
    for w in scene["walls"]:
        if valid_wall(w):
            out["wall"].append(wall_corners(w))
    for o in scene["openings"]:
        hosts = [w for w in scene["walls"] if w["id"] == o["wall"]]
        if not hosts or not valid_wall(hosts[-1]):
            continue
        out[o["kind"]].append(opening_corners(o, hosts[-1]))
    return out


def quad_iou(p, q, compat):
    n1 = np.cross(p[1] - p[0], p[2] - p[0])
    n2 = np.cross(q[1] - q[0], q[2] - q[0])
    l1, l2 = np.linalg.norm(n1), np.linalg.norm(n2)
    if l1 * l2 <= 1e-6:
        return 0.0
    off = np.dot(q[0] - p[0], n1) / l1
    if not compat:
        off = abs(off)
    if not (np.linalg.norm(np.cross(n1, n2)) / (l1 * l2) < PARALLEL_TOL and off < DIST_TOL):
        return 0.0
    u = (q[1] - q[0]) / np.linalg.norm(q[1] - q[0])
    v = (q[3] - q[0]) - np.dot(q[3] - q[0], u) * u
    v = v / np.linalg.norm(v)
    P = Polygon([(np.dot(x - q[0], u), np.dot(x - q[0], v)) for x in p])
    Q = Polygon([(np.dot(x - q[0], u), np.dot(x - q[0], v)) for x in q])
    if not P.intersects(Q):
        return 0.0
    union = P.union(Q).area
    return P.intersection(Q).area / union if union > 0 else 0.0


def clamp(o):
    return [max(s, MIN_SCALE) for s in o["size"]]


def footprint(o, size):
    c, s = math.cos(o["yaw"]), math.sin(o["yaw"])
    hx, hy = size[0] / 2, size[1] / 2
    return Polygon([(o["center"][0] + c * x - s * y, o["center"][1] + s * x + c * y)
                    for x, y in [(hx, hy), (-hx, hy), (-hx, -hy), (hx, -hy)]])


def box_iou(p, q, compat):
    sp, sq = clamp(p), clamp(q)
    if compat:
        a = BBox3D(*p["center"], *sp, euler_angles=[0, 0, p["yaw"]], is_center=True)
        b = BBox3D(*q["center"], *sq, euler_angles=[0, 0, q["yaw"]], is_center=True)
        return float(bbox_iou_3d(a, b))
    fa, fb = footprint(p, sp), footprint(q, sq)
    inter_a = fa.intersection(fb).area
    za = (p["center"][2] - sp[2] / 2, p["center"][2] + sp[2] / 2)
    zb = (q["center"][2] - sq[2] / 2, q["center"][2] + sq[2] / 2)
    inter = inter_a * max(0.0, min(za[1], zb[1]) - max(za[0], zb[0]))
    union = sp[0] * sp[1] * sp[2] + sq[0] * sq[1] * sq[2] - inter
    return inter / union if union > 0 else 0.0


def tp_count(score, thr, higher_better):
    n, m = score.shape
    if n == 0 or m == 0:
        return 0
    passes_strict = score > thr if higher_better else score < thr
    cost = np.where(passes_strict, -1.0, LARGE)
    r, c = linear_sum_assignment(cost)
    s = score[r, c]
    return int(np.sum(s >= thr if higher_better else s <= thr))


def quad_distance(p, q):
    d1 = max(np.linalg.norm(p[i] - q[i]) for i in range(4))
    d2 = max(np.linalg.norm(p[i] - q[j]) for i, j in zip(range(4), [1, 0, 3, 2]))
    return min(d1, d2)


def box_corners(o):
    fp = list(footprint(o, o["size"]).exterior.coords)[:4]
    z0, z1 = o["center"][2] - abs(o["size"][2]) / 2, o["center"][2] + abs(o["size"][2]) / 2
    return [np.array([x, y, z0]) for x, y in fp] + [np.array([x, y, z1]) for x, y in fp]


def box_distance(p, q):
    a, b = box_corners(p), box_corners(q)
    best = math.inf
    for s in range(4):
        order = [(i // 4) * 4 + (i % 4 + s) % 4 for i in range(8)]
        best = min(best, max(np.linalg.norm(a[i] - b[j]) for i, j in enumerate(order)))
    return best


def iou_matrices(pred, gt, compat):
    """Raw IoU matrices (pred rows × GT columns) per class, for direct checks."""
    pq, gq = scene_quads(pred), scene_quads(gt)
    out = {cls: [[quad_iou(p, g, compat) for g in gq[cls]] for p in pq[cls]] for cls in LAYOUT_CLASSES}
    for cls in OBJECT_CLASSES:
        P = [o for o in pred["objects"] if o["class"] == cls]
        G = [o for o in gt["objects"] if o["class"] == cls]
        if P and G:
            out[cls] = [[box_iou(p, g, compat) for g in G] for p in P]
    return out


def score_scene(pred, gt, compat):
    pq, gq = scene_quads(pred), scene_quads(gt)
    iou, dist = {}, {}
    for cls in LAYOUT_CLASSES:
        P, G = pq[cls], gq[cls]
        m = np.array([[quad_iou(p, g, compat) for g in G] for p in P]).reshape(len(P), len(G))
        iou[cls] = [[tp_count(m, t, True), len(P), len(G)] for t in THRESHOLDS]
        d = np.array([[quad_distance(p, g) for g in G] for p in P]).reshape(len(P), len(G))
        dist[cls] = [[tp_count(d, cm / 100.0, False), len(P), len(G)] for cm in DIST_CM]
    for cls in OBJECT_CLASSES:
        P = [o for o in pred["objects"] if o["class"] == cls]
        G = [o for o in gt["objects"] if o["class"] == cls]
        m = np.array([[box_iou(p, g, compat) for g in G] for p in P]).reshape(len(P), len(G))
        iou[cls] = [[tp_count(m, t, True), len(P), len(G)] for t in THRESHOLDS]
        d = np.array([[box_distance(p, g) for g in G] for p in P]).reshape(len(P), len(G))
        dist[cls] = [[tp_count(d, cm / 100.0, False), len(P), len(G)] for cm in DIST_CM]
    return iou, dist


def prf(tp, n_pred, n_gt):
    p = tp / n_pred if n_pred > 0 else 0.0
    r = tp / n_gt if n_gt > 0 else 0.0
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return p, r, f


def summarize(per_scene, n_thr):
    out = {}
    for cls in LAYOUT_CLASSES + OBJECT_CLASSES:
        rows = [s[cls] for s in per_scene if not (s[cls][0][1] == 0 and s[cls][0][2] == 0)]
        if not rows:
            continue
        vals = [[prf(*r[k]) for r in rows] for k in range(n_thr)]
        out[cls] = {
            "scenes_scored": len(rows),
            "precision": [float(np.mean([v[0] for v in vals[k]])) for k in range(n_thr)],
            "recall": [float(np.mean([v[1] for v in vals[k]])) for k in range(n_thr)],
            "f1": [float(np.mean([v[2] for v in vals[k]])) for k in range(n_thr)],
        }
    return out


def layout_report(cases, compat):
    iou_s, dist_s = [], []
    for c in cases:
        i, d = score_scene(c["pred"], c["gt"], compat)
        iou_s.append(i)
        dist_s.append(d)
    classes = summarize(iou_s, len(THRESHOLDS))
    dclasses = summarize(dist_s, len(DIST_CM))

    def mean_of(names, k):
        v = [classes[n]["f1"][k] for n in names if n in classes]
        return float(np.mean(v)) if v else None

    return {
        "per_scene": [{"name": c["name"], "iou": i} for c, i in zip(cases, iou_s)],
        "iou_matrices": [{"name": c["name"], "matrices": iou_matrices(c["pred"], c["gt"], compat)} for c in cases[:12]],
        "classes": classes,
        "mean_layout": [mean_of(LAYOUT_CLASSES, k) for k in range(len(THRESHOLDS))],
        "mean_objects": [mean_of(OBJECT_CLASSES, k) for k in range(len(THRESHOLDS))],
        "entity_distance": {
            n: {"f1@5cm": v["f1"][4], "f1@10cm": v["f1"][9], "f1@25cm": v["f1"][24],
                "f1_avg_1_100cm": float(np.mean(v["f1"])), "scenes_scored": v["scenes_scored"]}
            for n, v in dclasses.items()
        },
    }


# ------------------------------------------------------------ trajectories


def rnd_quat(rng):
    q = rng.normal(0, 1, 4)
    return q / np.linalg.norm(q)


def quat_mul(a, b):  # wxyz
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    return np.array([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2, w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2, w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2])


def small_quat(rng, sigma):
    v = rng.normal(0, sigma, 3)
    ang = np.linalg.norm(v)
    ax = v / ang if ang > 0 else np.array([1.0, 0, 0])
    return np.array([math.cos(ang / 2), *(math.sin(ang / 2) * ax)])


def rot_of(q):
    w, x, y, z = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def rnd_traj_case(rng, idx):
    n = int(rng.integers(20, 40))
    gt_dt = 0.01
    t_gt = np.arange(n * 3) * gt_dt + rng.uniform(0, 100)
    # smooth random walk in space and rotation
    pos = np.cumsum(rng.normal(0, 0.02, (len(t_gt), 3)), axis=0) + rng.uniform(-2, 2, 3)
    pos[:, 0] += np.linspace(0, rng.uniform(1, 3), len(t_gt))
    quats = [rnd_quat(rng)]
    for _ in range(len(t_gt) - 1):
        q = quat_mul(quats[-1], small_quat(rng, 0.01))
        quats.append(q / np.linalg.norm(q))
    gt = [[float(t), *map(float, p), *map(float, [q[1], q[2], q[3], q[0]])] for t, p, q in zip(t_gt, pos, quats)]
    # estimate: every 3rd GT stamp with jitter, in a different frame and scale, plus noise
    s = rng.uniform(0.5, 2.0) if idx % 2 else 1.0
    Rq = rnd_quat(rng)
    R = rot_of(Rq)
    tr = rng.uniform(-5, 5, 3)
    est = []
    for k in range(0, len(t_gt), 3):
        if rng.random() < 0.1:
            continue  # dropped frame
        t = t_gt[k] + rng.uniform(-0.004, 0.004)
        p = s * (R @ pos[k]) + tr + rng.normal(0, 0.01 * s, 3)
        q = quat_mul(quat_mul(Rq, quats[k]), small_quat(rng, 0.02))
        q = q / np.linalg.norm(q)
        est.append([float(t), *map(float, p), float(q[1]), float(q[2]), float(q[3]), float(q[0])])
    if idx % 4 == 3:  # a few far-off stamps that must not associate
        est.append([float(t_gt[-1] + 5.0), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    return {"name": f"traj_{idx:03d}", "est": est, "gt": gt}


def to_evo(rows):
    a = np.array(rows)
    return PoseTrajectory3D(positions_xyz=a[:, 1:4], orientations_quat_wxyz=a[:, [7, 4, 5, 6]], timestamps=a[:, 0])


def traj_metrics(case, align):
    ref, est = to_evo(case["gt"]), to_evo(case["est"])
    ref, est = sync.associate_trajectories(ref, est, max_diff=0.02)
    r, t, s = est.align(ref, correct_scale=(align == "sim3"))
    ape = metrics.APE(metrics.PoseRelation.translation_part)
    ape.process_data((ref, est))
    st = ape.get_all_statistics()
    rpe_t = metrics.RPE(metrics.PoseRelation.translation_part, delta=1, delta_unit=metrics.Unit.frames, all_pairs=False)
    rpe_t.process_data((ref, est))
    rpe_r = metrics.RPE(metrics.PoseRelation.rotation_angle_deg, delta=1, delta_unit=metrics.Unit.frames, all_pairs=False)
    rpe_r.process_data((ref, est))
    # RPE with the step in metres of reference path (pairs from the reference)
    rpe_m = {}
    for rel, key in [(metrics.PoseRelation.translation_part, "rpe_trans_rmse_0.3m"),
                     (metrics.PoseRelation.rotation_angle_deg, "rpe_rot_rmse_deg_0.3m")]:
        m = metrics.RPE(rel, delta=0.3, delta_unit=metrics.Unit.meters, all_pairs=False, pairs_from_reference=True)
        m.process_data((ref, est))
        rpe_m[key] = float(m.get_statistic(metrics.StatisticsType.rmse))
    return {
        **rpe_m,
        "matched": int(ref.num_poses), "align": align, "scale": float(s),
        "ate_rmse": float(st["rmse"]), "ate_mean": float(st["mean"]), "ate_median": float(st["median"]),
        "ate_max": float(st["max"]),
        "rpe_trans_rmse": float(rpe_t.get_statistic(metrics.StatisticsType.rmse)),
        "rpe_rot_rmse_deg": float(rpe_r.get_statistic(metrics.StatisticsType.rmse)),
        "path_length": float(ref.path_length),
    }


# ------------------------------------------------------------------ clouds


def rnd_cloud_case(rng, idx):
    n_gt, n_pred = int(rng.integers(60, 150)), int(rng.integers(50, 150))
    gt = rng.uniform(0, 1, (n_gt, 3)) * [3, 2, 0.5]
    keep = gt[rng.random(n_gt) < 0.8]
    pred = keep[rng.integers(0, len(keep), n_pred)] + rng.normal(0, rng.choice([0.01, 0.03, 0.08]), (n_pred, 3))
    if idx % 3 == 0:
        pred[: n_pred // 5] += [0, 0, 1.0]  # outliers
    return {"name": f"cloud_{idx:03d}", "tau": 0.05, "pred": pred.tolist(), "gt": gt.tolist()}


def cloud_metrics(case):
    # roomscribe stores cloud coordinates as f32: go through float32 as it does
    P = np.array(case["pred"]).astype(np.float32).astype(np.float64)
    G = np.array(case["gt"]).astype(np.float32).astype(np.float64)
    tau = case["tau"]
    acc, _ = cKDTree(G).query(P)
    comp, _ = cKDTree(P).query(G)
    prec, rec = float(np.mean(acc < tau)), float(np.mean(comp < tau))
    return {
        "accuracy_median": float(np.median(acc)), "accuracy_mean": float(np.mean(acc)),
        "completeness_median": float(np.median(comp)), "completeness_mean": float(np.mean(comp)),
        "chamfer": float((np.mean(acc) + np.mean(comp)) / 2), "precision": prec, "recall": rec,
        "fscore": 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0, "tau": tau,
    }


def rounded(x, nd):
    """Rounds every float in a nested structure (the stored inputs are what
    both implementations score, so rounding loses nothing but bytes)."""
    if isinstance(x, float):
        return round(x, nd)
    if isinstance(x, list):
        return [rounded(v, nd) for v in x]
    if isinstance(x, dict):
        return {k: rounded(v, nd) for k, v in x.items()}
    return x


def main():
    rng = np.random.default_rng(SEED)
    scenes = rounded([rnd_scene_pair(rng, i) for i in range(36)], 6)
    trajs = rounded([rnd_traj_case(rng, i) for i in range(12)], 7)
    clouds = rounded([rnd_cloud_case(rng, i) for i in range(12)], 4)
    expected = {
        "generator": "eval/reference/make_reference.py seed %d" % SEED,
        "layout_default": layout_report(scenes, compat=False),
        "layout_compat": layout_report(scenes, compat=True),
        "traj": [dict(name=c["name"], **traj_metrics(c, a)) for c in trajs for a in ("se3", "sim3")],
        "cloud": [dict(name=c["name"], **cloud_metrics(c)) for c in clouds],
    }
    cases = {"seed": SEED, "scenes": scenes, "trajectories": trajs, "clouds": clouds}
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump(cases, f, separators=(",", ":"))
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
