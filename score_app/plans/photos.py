"""Evidence photos as they are kept: decoded by Pillow, turned upright, scaled down to a long side
of at most 2,000 pixels, converted to sRGB and encoded again, so that nothing of the uploaded file
but its picture is kept: no EXIF (the phone's GPS position, its make, the time), no comments or
text chunks, no colour profile, nothing appended after the image data."""

import io
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import Response, abort, current_app, send_file
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from score_app import storage
from score_app.exceptions import InvalidInput
from score_app.extensions import db
from score_app.i18n import format_number
from score_app.i18n import gettext as _

# A phone's photo has 12 to 50 megapixels; a picture with more would take hundreds of megabytes
# to decode, so it is refused from its header, before any pixel is read.
MAX_MEGAPIXELS = 50
MAX_CAPTION = 200
LONG_SIDE = 2000  # pixels: plenty for evidence on a page or in a printed plan
JPEG_QUALITY = 85
# The printed plan shows a few small photos under each action: enough to recognise the result,
# light enough that a plan with many actions stays a small file.
THUMBNAILS_PER_ACTION = 3
THUMBNAIL_LONG_SIDE = 360  # pixels: about 3 cm at 300 dpi
THUMBNAIL_QUALITY = 75
# What Pillow reads a photo as -> what it is stored and served as. Many phones save "MPO" JPEGs
# (a JPEG with a second picture inside): kept as a JPEG of the first picture.
TYPES = {
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "MPO": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
}
# What Pillow raises on a file that is not a whole JPEG or PNG it can decode.
_UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    extension: str


def _too_many_pixels() -> InvalidInput:
    return InvalidInput(
        {
            "photo": _(
                "This picture has more than %(limit)s megapixels: send a smaller copy.",
                limit=format_number(MAX_MEGAPIXELS),
            )
        }
    )


def _not_a_photo() -> InvalidInput:
    return InvalidInput({"photo": _("Only JPEG and PNG photos can be uploaded.")})


def size_problem(size: int, max_bytes: int) -> str | None:
    """Why a file of `size` bytes is refused, saying its real size; None when it may be kept."""
    if size <= max_bytes:
        return None
    limit = max_bytes / 1_000_000
    return _(
        "This photo is %(size)s MB; the largest accepted is %(limit)s MB.",
        size=format_number(size / 1_000_000, 1),
        limit=format_number(limit, 0 if limit.is_integer() else 1),
    )


def clean_photo(data: bytes) -> CleanPhoto:
    """The photo's picture alone, encoded again; InvalidInput on `photo` when the bytes are not
    a JPEG or PNG picture, or one with too many pixels to decode."""
    try:
        with warnings.catch_warnings():
            # The pixels are counted below; Pillow's own warning would only repeat it.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except _UNREADABLE:
        raise _not_a_photo() from None
    with image:
        if image.format not in TYPES:
            raise _not_a_photo()
        if image.width * image.height > MAX_MEGAPIXELS * 1_000_000:
            raise _too_many_pixels()
        file_format, content_type, extension = TYPES[image.format]
        try:
            picture = _upright_and_small(image)
            picture = _in_srgb(picture, image.info.get("icc_profile"), file_format)
        except _UNREADABLE:
            raise _not_a_photo() from None
    buffer = io.BytesIO()
    if file_format == "JPEG":
        picture.save(buffer, "JPEG", quality=JPEG_QUALITY)
    else:
        picture.save(buffer, "PNG")
    return CleanPhoto(buffer.getvalue(), content_type, extension)


@dataclass(frozen=True)
class Thumbnail:
    path: str  # where the printed document's HTML finds it
    data: bytes  # a small JPEG


def thumbnail(path: Path) -> bytes | None:
    """A kept photo made small for print (THUMBNAIL_LONG_SIDE pixels at most, JPEG); None when
    its file is gone or unreadable."""
    try:
        with Image.open(path, formats=("JPEG", "PNG")) as image:
            if image.format != "PNG":
                image.draft("RGB", (THUMBNAIL_LONG_SIDE, THUMBNAIL_LONG_SIDE))
            image.thumbnail((THUMBNAIL_LONG_SIDE, THUMBNAIL_LONG_SIDE), Image.Resampling.LANCZOS)
            small = image.convert("RGB")
    except (FileNotFoundError, *_UNREADABLE):
        return None
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY)
    return buffer.getvalue()


def photo_thumbnails(actions, upload_dir: Path) -> dict[int, Thumbnail]:
    """The first THUMBNAILS_PER_ACTION photos of each action, small, by photo id; a photo whose
    file is gone is left out."""
    thumbnails = {}
    for action in actions:
        for photo in action.photos[:THUMBNAILS_PER_ACTION]:
            data = thumbnail(upload_dir / photo.stored_name)
            if data is not None:
                thumbnails[photo.id] = Thumbnail(f"/plan-photos/{photo.id}.jpg", data)
    return thumbnails


def upload_dir() -> Path:
    """Where photo files are kept (SCORE_UPLOAD_DIR), outside static/: each is served by a view
    that checks who asks. With SCORE_STORAGE=database, where photos kept before are read from."""
    return Path(current_app.config["SCORE_UPLOAD_DIR"])


def max_megabytes() -> int:
    """The largest photo accepted, in MB (SCORE_MAX_PHOTO_MB)."""
    return current_app.config["SCORE_MAX_PHOTO_MB"]


def add_from_form(form, add) -> None:
    """Pass the photo form's file and caption to `add` (a use case that keeps a photo), with the
    upload folder and size limit. The whole file is read, so that a refusal says its real size:
    the request itself is capped (MAX_CONTENT_LENGTH, three times the photo limit)."""
    upload = form.photo.data
    add(
        data=upload.stream.read() if upload else None,
        caption=form.caption.data or "",
        upload_dir=upload_dir(),
        max_bytes=max_megabytes() * 1_000_000,
    )


def served(photo) -> Response:
    """A kept photo's picture as its answer, for a view that has checked the user may see it;
    404 when its bytes are gone."""
    data = storage.current().read(photo.stored_name)
    if data is None:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype=photo.content_type, max_age=0)
    response.headers["Cache-Control"] = "private, max-age=0"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def check_upload(data: bytes | None, caption: str, max_bytes: int, errors: dict) -> CleanPhoto:
    """The uploaded photo cleaned (`clean_photo`), or None with `errors` given why the photo or
    its caption is refused: no file, too large, not a picture, a caption too long. A refusal of
    the photo already in `errors` (a record that holds no more photos) stands."""
    clean = None
    if "photo" in errors:
        pass
    elif not data:
        errors["photo"] = _("Choose a photo to upload.")
    elif too_large := size_problem(len(data), max_bytes):
        errors["photo"] = too_large
    else:
        try:
            clean = clean_photo(data)
        except InvalidInput as error:
            errors.update(error.errors)
    if len(caption.strip()) > MAX_CAPTION:
        errors["caption"] = _(
            "Keep this under %(limit)s characters.", limit=format_number(MAX_CAPTION)
        )
    return clean


def keep(photo, clean: CleanPhoto, upload_dir: Path) -> None:
    """Save a photo's row (an action's or a visit's) with its picture under a new random name,
    in the storage the settings choose (storage.py), in one commit: when the row cannot be saved
    the picture goes too, so no picture outlives its row."""
    photo.stored_name = f"{uuid.uuid4().hex}.{clean.extension}"
    photo.content_type = clean.content_type
    photo.size_bytes = len(clean.data)
    store = storage.current(upload_dir)
    store.put(photo.stored_name, clean.data, clean.content_type)
    try:
        db.session.add(photo)
        db.session.commit()
    except Exception:
        db.session.rollback()
        store.take_back(photo.stored_name)
        raise


def remove(photo, upload_dir: Path) -> None:
    """Delete a photo's row and its picture."""
    forget([photo.stored_name], upload_dir, lambda: db.session.delete(photo))


def forget(names: list[str], upload_dir: Path, delete_rows) -> None:
    """Run `delete_rows` (which deletes the rows naming these pictures) and delete the pictures,
    in one commit; a picture in a folder goes once the commit is done."""
    store = storage.current(upload_dir)
    delete_rows()
    for name in names:
        store.delete(name)
    db.session.commit()
    for name in names:
        store.after_delete(name)


def _upright_and_small(image: Image.Image) -> Image.Image:
    """The picture turned as its EXIF orientation says, at most LONG_SIDE pixels long."""
    if image.format != "PNG":
        # A JPEG decodes straight at a half, a quarter or an eighth of its size: less memory.
        image.draft(image.mode, (LONG_SIDE, LONG_SIDE))
    image.load()
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    return upright


def _in_srgb(picture: Image.Image, profile: bytes | None, file_format: str) -> Image.Image:
    """The picture's colours in sRGB, which browsers assume when a file carries no profile, and
    with no metadata left: its `info` (EXIF, text, comments, profile) is not carried over."""
    has_alpha = "A" in picture.getbands() or "transparency" in picture.info
    mode = "RGBA" if has_alpha and file_format == "PNG" else "RGB"
    if picture.mode in ("1", "L") and not has_alpha:
        mode = "L"
    if profile and picture.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            picture = ImageCms.profileToProfile(
                picture, source, _SRGB, outputMode=mode if picture.mode != "CMYK" else "RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile: the colours are taken as they are
    clean = picture.convert(mode)
    clean.info = {}
    return clean
