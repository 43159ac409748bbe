"""The peer run for clockface's face benchmark: Python `face_recognition` (dlib's HOG detector and
ResNet embedder) on the same photos, timed the same way (CPU time of this one thread).

Usage:
  python3 peer_face_recognition.py RUNS IMAGE [IMAGE ...]
      prints JSON, one entry per image: mean CPU milliseconds for decode, detect, embed and total,
      and the number of faces found.
  python3 peer_face_recognition.py --encode LIST_FILE
      LIST_FILE holds one image path a line; prints JSON, one entry per image: the number of faces
      found (default settings: HOG, one upsampling) and the 128 numbers of the largest face's
      encoding (null when none), for the accuracy comparison.
Install without building dlib: pip install dlib-bin && pip install --no-deps face_recognition
face_recognition_models (the models package ships dlib's weights), plus numpy, Pillow and Click.
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


def encode(path):
    image = face_recognition.load_image_file(path)
    boxes = face_recognition.face_locations(image)
    if not boxes:
        return {"faces": 0, "encoding": None}
    # (top, right, bottom, left): the largest box is the subject, as in clockface.
    largest = max(boxes, key=lambda b: (b[2] - b[0]) * (b[1] - b[3]))
    encoding = face_recognition.face_encodings(image, [largest])[0]
    return {"faces": len(boxes), "encoding": [float(v) for v in encoding]}


def main():
    if sys.argv[1] == "--encode":
        with open(sys.argv[2]) as f:
            paths = [line.strip() for line in f if line.strip()]
        print(json.dumps({path: encode(path) for path in paths}))
        return
    runs = int(sys.argv[1])
    print(json.dumps({path: measure(path, runs) for path in sys.argv[2:]}))


if __name__ == "__main__":
    main()
