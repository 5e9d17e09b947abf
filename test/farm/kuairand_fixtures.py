"""Synthetic KuaiRand-Pure fixture files in the real column layout (spec datasets.md "KuaiRand"; the real data is
CC BY-SA 4.0 and is never committed). Seeded; 200 rows per log file, 30 users, 60 videos, label rates near the real ones.

Regenerate (from the repository root):

    .venv/bin/python test/farm/kuairand_fixtures.py

Writes test/fixtures/kuairand/{log_standard_4_08_to_4_21,log_standard_4_22_to_5_08,log_random_4_22_to_5_08,
user_features,video_features_basic}_pure.csv, read by test/farm/kuairand.test.ts.
"""
import csv
import os

import numpy as np

rng = np.random.default_rng(20220408)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "kuairand")
os.makedirs(OUT, exist_ok=True)
USERS = [int(u) for u in rng.choice(27285, size=30, replace=False)]
VIDEOS = [int(v) for v in rng.choice(7583, size=60, replace=False)]

LOG_COLUMNS = ["user_id", "video_id", "date", "hourmin", "time_ms", "is_click", "is_like", "is_follow", "is_comment", "is_forward",
               "is_hate", "long_view", "play_time_ms", "duration_ms", "profile_stay_time", "comment_stay_time", "is_profile_enter", "is_rand", "tab"]


def write(name, header, rows):
    with open(os.path.join(OUT, f"{name}_pure.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def log(name, day0, days, is_rand):
    rows = []
    t0 = 1649347200000 + day0 * 86400000  # 2022-04-08 00:00 (UTC+8 in the real data; only the order matters here)
    for _ in range(200):
        t = t0 + int(rng.integers(0, days * 86400000))
        click = int(rng.random() < 0.33)
        like = int(click and rng.random() < 0.06)
        follow = int(click and rng.random() < 0.02)
        comment = int(click and rng.random() < 0.03)
        forward = int(click and rng.random() < 0.02)
        long_view = int(click and rng.random() < 0.45)
        dur = int(rng.integers(5000, 120000))
        play = int(rng.integers(0, dur)) if click else 0
        date = 20220408 + day0  # approximate; not read by the loader
        rows.append([rng.choice(USERS), rng.choice(VIDEOS), date, f"{int(rng.integers(0, 24))}{int(rng.integers(0, 6))}0", t, click, like, follow, comment,
                     forward, 0, long_view, play, dur, 0, 0, int(click and rng.random() < 0.05), is_rand, int(rng.integers(0, 15))])
    rows.sort(key=lambda r: r[4])
    write(name, LOG_COLUMNS, rows)


log("log_standard_4_08_to_4_21", 0, 14, 0)
log("log_standard_4_22_to_5_08", 14, 17, 0)
log("log_random_4_22_to_5_08", 14, 17, 1)

user_header = ["user_id", "user_active_degree", "is_lowactive_period", "is_live_streamer", "is_video_author", "follow_user_num", "follow_user_num_range",
               "fans_user_num", "fans_user_num_range", "friend_user_num", "friend_user_num_range", "register_days", "register_days_range"] + [f"onehot_feat{i}" for i in range(18)]
user_rows = []
for u in USERS:
    deg = rng.choice(["high_active", "full_active", "middle_active", "UNKNOWN"])
    user_rows.append([u, deg, int(rng.random() < 0.1), int(rng.random() < 0.05), int(rng.random() < 0.2), int(rng.integers(0, 300)), "(100,150]",
                      int(rng.integers(0, 50)), "[10,100)", int(rng.integers(0, 20)), "[5,30)", int(rng.integers(10, 2000)), "730+"] + [int(rng.integers(0, 5)) for _ in range(18)])
write("user_features", user_header, user_rows)

video_header = ["video_id", "author_id", "video_type", "upload_dt", "upload_type", "visible_status", "video_duration", "server_width", "server_height", "music_id", "music_type", "tag"]
video_rows = []
for v in VIDEOS:
    video_rows.append([v, int(rng.integers(0, 40)), rng.choice(["NORMAL", "AD"]), "2022-03-01", rng.choice(["ShortImport", "Web", "LongImport", "PictureSet"]), "public",
                       float(rng.integers(5000, 120000)), 720, 1280, int(rng.integers(0, 1000)), 9, str(int(rng.integers(1, 60)))])
write("video_features_basic", video_header, video_rows)
print(f"wrote {OUT}")
