// Evidence photos taken offline: scaled on the device to at most 1,600 pixels on the long side
// and encoded as JPEG (a phone's 12-megapixel photo becomes a few hundred kilobytes), so the
// outbox stays small and a photo fits in one sync batch. The server cleans it again as it does
// any upload.
const LONG_SIDE = 1600;
const MAX_BASE64 = 700000;

function blobOf(canvas, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
}

function base64Of(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

// The photo as base64 JPEG; throws when the file is not a picture the browser can read.
export async function resizedPhoto(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  let side = LONG_SIDE;
  let quality = 0.85;
  for (;;) {
    const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const data = await base64Of(await blobOf(canvas, quality));
    if (data.length <= MAX_BASE64 || side < 400) return data;
    side = Math.round(side * 0.8);
    quality = Math.max(0.6, quality - 0.1);
  }
}
