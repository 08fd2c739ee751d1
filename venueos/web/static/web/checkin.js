// The check-in screen: keep the code field focused and empty for the next
// scan (hardware scanners type the code and Enter), and read QR codes with
// the camera where the browser has the BarcodeDetector API. Without this
// script the screen is a plain form that works the same, one page per scan.
(function () {
  "use strict";
  const form = document.getElementById("scan-form");
  if (!form) return;
  const input = form.querySelector("input[name=code]");

  function ready() {
    input.value = "";
    input.focus();
  }

  // htmx swapped the result in: clear and focus for the next ticket.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt === form) ready();
  });
  // A tap on empty space must not leave the scanner typing into nothing.
  input.addEventListener("blur", function (event) {
    if (!event.relatedTarget) setTimeout(function () { if (!document.activeElement || document.activeElement === document.body) input.focus(); }, 0);
  });

  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  const camera = form.querySelector(".scan-camera");
  const toggle = camera.querySelector("[data-camera-toggle]");
  const video = camera.querySelector("[data-camera-video]");
  let stream = null;
  let detector = null;
  let lastCode = "";
  let lastAt = 0;

  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") === -1) return;
    detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    camera.hidden = false;
  });

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    toggle.setAttribute("aria-pressed", "false");
    toggle.textContent = "Use the camera";
    ready();
  }

  function look() {
    if (!stream) return;
    detector.detect(video).then(function (codes) {
      const now = Date.now();
      const code = codes.length ? codes[0].rawValue : "";
      // The same code held in front of the camera is scanned once, not 10 times a second.
      if (code && (code !== lastCode || now - lastAt > 3000)) {
        lastCode = code;
        lastAt = now;
        input.value = code;
        form.requestSubmit();
      }
    }).catch(function () {}).finally(function () { setTimeout(look, 200); });
  }

  toggle.addEventListener("click", function () {
    if (stream) { stop(); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        toggle.setAttribute("aria-pressed", "true");
        toggle.textContent = "Stop the camera";
        return video.play();
      })
      .then(look)
      .catch(function () { stop(); });
  });
})();
