"""Minimal Gatan DigitalMicrograph (.dm3 / .dm4) writer -- a TEST FIXTURE.

This is not a general DM writer: it writes exactly one calibrated 2-D image
(plus the small thumbnail image that DM files carry) so that tests can create
DM files on the fly and check that a reader returns the same pixels and pixel
size.  The byte layout follows what rosettasciio's DigitalMicrograph reader
parses (``rsciio/digitalmicrograph/_api.py``, ``DigitalMicrographReader``):

* header (big-endian): version (4 B), root length (4 B in v3, 8 B in v4,
  = file size - 16 / - 24), byte-order flag (4 B, 1 = little-endian);
* root TagGroup: sorted (1 B), open (1 B), tag count (4 B v3 / 8 B v4);
* each tag: kind (1 B: 20 TagGroup, 21 TagData), name length (2 B), name,
  then in v4 only the tag's byte length (8 B);
* TagData: ``%%%%``, info-array length, info array (all big-endian, 4 B
  entries in v3 and 8 B in v4), then the value in the file byte order
  (little-endian here);
* lists (``ImageList``, ``Dimensions``, ``Calibrations.Dimension``) are
  TagGroups of unnamed entries;
* the file ends with 8 zero bytes.

``ImageList`` holds the thumbnail first and the real image second; the root
``Thumbnails`` group points at entry 0 so that readers skip it.
"""

import struct
from pathlib import Path

import numpy as np

# TagData encoded types (element types inside a tag's info array).
_SHORT, _LONG, _USHORT, _ULONG = 2, 3, 4, 5
_FLOAT, _DOUBLE, _BOOL, _CHAR, _OCTET = 6, 7, 8, 9, 10
_ARRAY = 20  # array of a simple type: info = (20, element type, count)
_GROUP, _DATA = 20, 21  # tag kinds

# numpy dtype -> (ImageData.DataType code, encoded element type of Data).
_IMAGE_TYPES = {
    np.dtype(np.int16): (1, _SHORT),
    np.dtype(np.float32): (2, _FLOAT),
    np.dtype(np.uint8): (6, _OCTET),
    np.dtype(np.int32): (7, _LONG),
    np.dtype(np.int8): (9, _CHAR),
    np.dtype(np.uint16): (10, _USHORT),
    np.dtype(np.uint32): (11, _ULONG),
    np.dtype(np.float64): (12, _DOUBLE),
}
_RGBA = 23  # ImageData.DataType of DM's RGBA thumbnails (uint32 per pixel)

# Encoded simple type -> little-endian struct format for scalar tags.
_SCALAR_FMT = {_SHORT: "<h", _LONG: "<i", _USHORT: "<H", _ULONG: "<I",
               _FLOAT: "<f", _DOUBLE: "<d", _BOOL: "<B"}


def write_dm(path, data, pixel_size=None, unit="nm", version=None):
    """Write a 2-D image as a DigitalMicrograph .dm3/.dm4 file (version from the suffix unless given)."""
    path = Path(path)
    version = version or _version_from_suffix(path)
    image = _as_image(data)
    scale, unit = _calibration(pixel_size, unit)
    root = [
        ("ImageList", [("", _image_group(_thumbnail(image), (1.0, 1.0), "", _RGBA)),
                       ("", _image_group(image, scale, unit))]),
        ("InImageMode", _scalar(_BOOL, 1)),
        ("Thumbnails", [("", [("ImageIndex", _scalar(_LONG, 0))])]),
    ]
    path.write_bytes(_file_bytes(root, version))


def _version_from_suffix(path):
    """Return 3 or 4 from a .dm3/.dm4 suffix."""
    versions = {".dm3": 3, ".dm4": 4}
    if path.suffix.lower() not in versions:
        raise ValueError(f"cannot infer DM version from {path.name!r}; pass version=3 or 4")
    return versions[path.suffix.lower()]


def _as_image(data):
    """Validate a 2-D array of a supported dtype and make it C-ordered little-endian."""
    data = np.asarray(data)
    if data.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {data.shape}")
    dtype = data.dtype.newbyteorder("=")
    if dtype not in _IMAGE_TYPES:
        raise TypeError(f"unsupported dtype {data.dtype}")
    return np.ascontiguousarray(data, dtype=dtype.newbyteorder("<"))


def _calibration(pixel_size, unit):
    """Return ((scale_x, scale_y), unit); pixel_size is a scalar or a (y, x) pair."""
    if pixel_size is None:
        return (1.0, 1.0), ""
    sy, sx = np.broadcast_to(np.asarray(pixel_size, dtype=float), (2,))
    return (float(sx), float(sy)), unit


def _thumbnail(image):
    """Return a small RGBA (uint32 per pixel) preview, as DM stores thumbnails."""
    step = max(1, -(-max(image.shape) // 32))
    small = np.nan_to_num(image[::step, ::step].astype(np.float64))
    span = small.max() - small.min()
    grey = ((small - small.min()) * (255.0 / span) if span else small * 0).astype(np.uint32)
    return (grey | grey << 8 | grey << 16 | np.uint32(255) << 24).astype("<u4")


def _image_group(image, scale, unit, data_type=None):
    """Return the tag entries of one ImageList item (ImageData, ImageTags, Name)."""
    return [
        ("ImageData", _image_data(image, scale, unit, data_type)),
        ("ImageTags", []),
        ("Name", _string("" if data_type == _RGBA else "test image")),
    ]


def _image_data(image, scale, unit, data_type=None):
    """Return the ImageData group: Calibrations, Data, DataType, Dimensions, PixelDepth."""
    default_type, element = _IMAGE_TYPES[image.dtype.newbyteorder("=")]
    height, width = image.shape
    return [
        ("Calibrations", _calibrations(scale, unit)),
        ("Data", _array(element, image)),
        ("DataType", _scalar(_LONG, data_type or default_type)),
        ("Dimensions", [("", _scalar(_ULONG, width)), ("", _scalar(_ULONG, height))]),
        ("PixelDepth", _scalar(_ULONG, image.dtype.itemsize)),
    ]


def _calibrations(scale, unit):
    """Return the Calibrations group: Brightness and the per-axis Dimension list (x first)."""
    return [
        ("Brightness", _axis(0.0, 1.0, "")),
        ("Dimension", [("", _axis(0.0, scale[0], unit)), ("", _axis(0.0, scale[1], unit))]),
        ("DisplayCalibratedUnits", _scalar(_BOOL, 1)),
    ]


def _axis(origin, scale, unit):
    """Return one calibration group: Origin and Scale (float32, as DM stores them) and Units."""
    return [("Origin", _scalar(_FLOAT, origin)), ("Scale", _scalar(_FLOAT, scale)),
            ("Units", _string(unit))]


# --- TagData values: (info array, payload bytes) -----------------------------

def _scalar(enc, value):
    """Return a simple-type TagData: info = (enc,)."""
    return (enc,), struct.pack(_SCALAR_FMT[enc], value)


def _array(enc, values):
    """Return an array-of-simple-type TagData: info = (20, enc, count)."""
    return (_ARRAY, enc, values.size), values.tobytes()


def _string(text):
    """Return a string the way DM stores it: array of uint16 (type 4) code units."""
    return _array(_USHORT, np.frombuffer(text.encode("utf-16-le"), dtype="<u2"))


# --- serialisation ----------------------------------------------------------

def _file_bytes(root, version):
    """Return the whole file: header, root TagGroup, 8 zero bytes."""
    body = _group_body(root, version) + bytes(8)
    size_fmt = ">I" if version == 3 else ">Q"
    header_len = 12 if version == 3 else 16
    root_len = header_len + len(body) - (16 if version == 3 else 24)
    return struct.pack(">I", version) + struct.pack(size_fmt, root_len) + struct.pack(">I", 1) + body


def _count(n, version):
    """Pack a big-endian count/length: 4 bytes in DM3, 8 bytes in DM4."""
    return struct.pack(">i" if version == 3 else ">q", n)


def _group_body(entries, version):
    """Return a TagGroup body: sorted flag, open flag, tag count, tags."""
    tags = b"".join(_tag(name, value, version) for name, value in entries)
    return b"\x01\x00" + _count(len(entries), version) + tags


def _tag(name, value, version):
    """Return one tag: kind (20 TagGroup / 21 TagData), name, [v4 length], body."""
    if isinstance(value, list):
        kind, body = _GROUP, _group_body(value, version)
    else:
        kind, body = _DATA, _data_body(value, version)
    label = name.encode("latin-1")
    head = struct.pack(">bH", kind, len(label)) + label
    return head + (struct.pack(">Q", len(body)) if version == 4 else b"") + body


def _data_body(value, version):
    """Return a TagData body: '%%%%', info-array length, info array, payload."""
    info, payload = value
    info_bytes = b"".join(_count(i, version) for i in info)
    return b"%%%%" + _count(len(info), version) + info_bytes + payload
