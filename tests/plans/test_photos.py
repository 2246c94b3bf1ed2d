"""Evidence photos as a user sends them and as others see them: without the phone's GPS
position or any other metadata, upright, at most 2,000 pixels on their long side, with nothing
kept from after the picture; pictures too large to decode and files too large to keep are
refused saying their size."""

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin
from sqlalchemy import func, select

from score_app.extensions import db
from score_app.plans.models import ActionPhoto
from tests.conftest import sign_in
from tests.plans.conftest import add_action, png_bytes

GPS_POSITION = ((5.0, 36.0, 12.5), (0.0, 11.0, 3.25))  # Accra, as a phone writes it


def _upload(client, action_id, data, name="result.jpg"):
    return client.post(
        f"/actions/{action_id}/photos",
        data={"photo": (io.BytesIO(data), name), "caption": "After"},
        content_type="multipart/form-data",
    )


def _served(app, plan_world, data, name="result.jpg") -> bytes:
    """Upload a photo as the owner and fetch it back as the trainer sees it."""
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    response = _upload(plan_world["clients"]["owner"], action_id, data, name)
    assert response.status_code == 302, response.get_data(True)
    with app.app_context():
        photo_id = db.session.scalar(select(ActionPhoto.id).order_by(ActionPhoto.id.desc()))
    served = plan_world["clients"]["trainer"].get(f"/photos/{photo_id}")
    assert served.status_code == 200
    return served.data


def _photo_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ActionPhoto))


def phone_jpeg(size=(60, 30), orientation=1) -> bytes:
    """A JPEG as a phone saves it: left half red, right half blue, with the camera's make and
    model, the GPS position where it was taken, the orientation to show it in, and a comment."""
    image = Image.new("RGB", size, "blue")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Pocket 12"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", GPS_POSITION[0]
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "W", GPS_POSITION[1]
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"Taken at the owner's home", quality=95)
    return buffer.getvalue()


def huge_png(width: int, height: int) -> bytes:
    """A real blank black-and-white PNG, made row by row: a few kilobytes to send, `width` x
    `height` pixels once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\0" * (1 + (width + 7) // 8)  # filter byte, then 1 bit a pixel
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_a_phone_photo_is_served_without_its_gps_position_or_camera_details(app, plan_world):
    original = phone_jpeg()
    with Image.open(io.BytesIO(original)) as sent:  # what the phone wrote is there to strip
        assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude]
    served = _served(app, plan_world, original)
    with Image.open(io.BytesIO(served)) as image:
        assert image.format == "JPEG"
        assert not image.getexif() and not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert "exif" not in image.info and "comment" not in image.info
    for trace in (b"Exif", b"PhoneMaker", b"Pocket 12", b"owner's home"):
        assert trace not in served


def test_a_photo_taken_sideways_is_served_upright(app, plan_world):
    # Orientation 6: the phone was turned a quarter right; the picture is shown turned back.
    served = _served(app, plan_world, phone_jpeg(size=(60, 30), orientation=6))
    with Image.open(io.BytesIO(served)) as image:
        assert image.size == (30, 60)
        top, bottom = (image.convert("RGB").getpixel((15, y)) for y in (10, 50))
        assert top[0] > 200 and top[2] < 60, "the left half, red, is now on top"
        assert bottom[2] > 200 and bottom[0] < 60


def test_html_appended_to_a_png_or_hidden_in_its_text_does_not_survive(app, plan_world):
    image = Image.new("RGB", (8, 6), (200, 30, 30))
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "<script>alert('text chunk')</script>")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=text)
    sent = buffer.getvalue() + b"<html><body><script>alert('appended')</script></body></html>"
    served = _served(app, plan_world, sent, name="chart.png")
    assert b"<script" not in served and b"<html" not in served and b"alert" not in served
    with Image.open(io.BytesIO(served)) as clean:
        assert clean.format == "PNG" and clean.size == (8, 6)
        assert clean.convert("RGB").getpixel((3, 3)) == (200, 30, 30)
        assert not clean.text


def test_a_photo_larger_than_2000_pixels_is_scaled_down_not_refused(app, plan_world):
    big = Image.new("RGB", (3000, 1200), (30, 120, 200))
    buffer = io.BytesIO()
    big.save(buffer, "JPEG")
    served = _served(app, plan_world, buffer.getvalue())
    with Image.open(io.BytesIO(served)) as image:
        assert image.size == (2000, 800)


def test_a_colour_profile_is_not_kept_and_the_colours_stay(app, plan_world):
    # The colours are converted to sRGB, which browsers assume, so the profile's bytes (which
    # could carry anything) need not be kept.
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), (10, 160, 90)).save(buffer, "JPEG", icc_profile=profile)
    served = _served(app, plan_world, buffer.getvalue())
    with Image.open(io.BytesIO(served)) as image:
        assert "icc_profile" not in image.info
        colour = image.getpixel((5, 5))
        assert all(abs(a - b) <= 6 for a, b in zip(colour, (10, 160, 90), strict=True))


@pytest.mark.parametrize(
    "width, height",
    [(12_000, 12_000), (20_000, 20_000)],
    ids=["144-megapixels", "400-megapixels-pillow-bomb-check"],
)
def test_a_picture_with_too_many_pixels_is_refused_before_it_is_decoded(
    app, plan_world, width, height
):
    data = huge_png(width, height)
    assert len(data) < 200_000, "cheap to send, 144 or 400 megapixels once decoded"
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    response = _upload(plan_world["clients"]["owner"], action_id, data, "plan.png")
    assert response.status_code == 422
    assert "This picture has more than 50 megapixels: send a smaller copy." in response.get_data(
        True
    )
    assert _photo_count(app) == 0


@pytest.mark.parametrize("megabytes", ["14.7", "5.5"])
def test_a_photo_over_the_limit_says_its_real_size_and_the_limit(app, plan_world, megabytes):
    assert app.config["SCORE_MAX_PHOTO_MB"] == 5  # the default
    data = png_bytes()
    data += b"\0" * (int(float(megabytes) * 1_000_000) - len(data))
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    response = _upload(plan_world["clients"]["owner"], action_id, data, "site.png")
    assert response.status_code == 422
    assert f"This photo is {megabytes} MB; the largest accepted is 5 MB." in response.get_data(True)
    assert _photo_count(app) == 0


def test_the_sizes_in_the_message_are_written_in_the_users_language(app, plan_world, create_user):
    enterprise = plan_world["enterprise"]
    owner_fr = create_user("enterprise_owner", enterprises=[enterprise], preferred_locale="fr")
    client = sign_in(app.test_client(), owner_fr)
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    data = png_bytes()
    response = _upload(client, action_id, data + b"\0" * (14_700_000 - len(data)), "site.png")
    assert response.status_code == 422
    page = response.get_data(True)
    assert "14,7" in page and "14.7" not in page
