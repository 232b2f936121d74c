// Progressive enhancements only: every page works without this file.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-locate]");
  if (!button) return;
  const form = button.closest("form");
  const status = document.getElementById("locate-status");
  if (!navigator.geolocation) {
    status.textContent = "此浏览器无法获取位置，请填写地点";
    return;
  }
  status.textContent = "正在获取位置…";
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      const lat = pos.coords.latitude.toFixed(6), lng = pos.coords.longitude.toFixed(6);
      form.querySelector("[name=lat]").value = lat;
      form.querySelector("[name=lng]").value = lng;
      status.textContent = `已记录位置：${lat}，${lng}`;
    },
    () => { status.textContent = "未能获取位置（可能未授权），请直接填写地点"; },
    { enableHighAccuracy: true, timeout: 10000 },
  );
});

// A form with an error opens its panel and moves focus to the first field at fault.
document.addEventListener("DOMContentLoaded", () => {
  const bad = document.querySelector(".has-error input, .has-error select, .has-error textarea, .alert[role=alert]");
  if (!bad) return;
  const panel = bad.closest("details");
  if (panel) panel.open = true;
  if (bad.focus) bad.focus({ preventScroll: false });
});

// A form with an idempotency key keeps that key in its own history entry. Going back to the form reloads it
// from the server with a fresh key (the page is not cached); putting the first key back means that pressing
// submit again answers with the case already filed instead of filing it twice.
document.addEventListener("DOMContentLoaded", () => {
  const input = document.querySelector("form[data-idempotent] input[name=idempotency_key]");
  if (!input) return;
  const state = history.state || {};
  if (state.idempotencyKey) input.value = state.idempotencyKey;
  else history.replaceState({ ...state, idempotencyKey: input.value }, "");
});
