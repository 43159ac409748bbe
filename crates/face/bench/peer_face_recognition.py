"""The peer run for clockface's face benchmark: Python `face_recognition` (dlib's HOG detector and
ResNet embedder) on the same photos, timed the same way (CPU time of this one thread).

Usage: python3 peer_face_recognition.py RUNS IMAGE [IMAGE ...]; prints JSON, one entry per image:
mean CPU milliseconds for decode, detect, embed and total, and the number of faces found.
Install: apt-get install -y cmake && pip install --no-build-isolation dlib && pip install face_recognition
"""
import json
import os
import sys
import time

# One thread, as for clockface's engine.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import face_recognition  # noqa: E402


def cpu():
    return time.thread_time()


def measure(path, runs):
    decode = detect = embed = 0.0
    faces = 0
    for _ in range(runs):
        t0 = cpu()
        image = face_recognition.load_image_file(path)
        t1 = cpu()
        boxes = face_recognition.face_locations(image)
        t2 = cpu()
        face_recognition.face_encodings(image, boxes)
        t3 = cpu()
        decode += t1 - t0
        detect += t2 - t1
        embed += t3 - t2
        faces = len(boxes)
    ms = lambda seconds: round(seconds * 1000.0 / runs, 1)  # noqa: E731
    return {"decode_ms": ms(decode), "detect_ms": ms(detect), "embed_ms": ms(embed), "total_ms": ms(decode + detect + embed), "faces": faces}


def main():
    runs = int(sys.argv[1])
    print(json.dumps({path: measure(path, runs) for path in sys.argv[2:]}))


if __name__ == "__main__":
    main()
