"A tiny untrained detector for tests (speed, equivariance and file handling do not depend on the weights)."
from chiral_em import detect as D

NAMES = ["bowtie_R", "bowtie_L"]


def tiny_detector(folder, conf:float, imgsz:int=128)->tuple:
    "A narrow untrained YOLOv8 saved as .pt (with metadata) and exported to ONNX; returns (pt, onnx)."
    from chiral_em.core import import_ultralytics
    ul = import_ultralytics()
    m = ul.YOLO(str(D.model_yaml(folder, NAMES, "yolov8", 0.33, 0.0625)))
    pt = folder/"tiny.pt"
    m.save(str(pt))
    D.write_meta(pt, names=NAMES, imgsz=imgsz, conf=conf)
    return pt, D.export_onnx(pt, imgsz)
