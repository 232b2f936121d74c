// The rating form offers only what the server accepts: the tags of the level chosen (each tag's data-grades says
// which levels it fits), and for a poor rating asks for a problem tag or a comment. Without this file every tag is
// shown and the server's answer says what to change.
(() => {
  const form = document.querySelector("form[data-rating]");
  if (!form) return;
  const tags = form.querySelector("fieldset.tags");
  const legend = tags.querySelector("legend");
  const hint = form.querySelector("[data-reason-hint]");
  const gradeOf = (level) => (level >= 4 ? "good" : level === 3 ? "neutral" : "poor");

  function update() {
    const checked = form.querySelector("input[name=level]:checked");
    const grade = checked ? gradeOf(Number(checked.value)) : null;
    tags.hidden = grade === null;
    for (const label of tags.querySelectorAll("label[data-grades]")) {
      const fits = grade !== null && label.dataset.grades.split(" ").includes(grade);
      const box = label.querySelector("input");
      label.hidden = !fits;
      box.disabled = !fits;  // a hidden, unfitting tag is never sent
      if (!fits) box.checked = false;
    }
    legend.textContent = grade === "poor" ? "遇到的问题" : grade === "good" ? "满意的地方（可选）" : "评价标签（可选）";
    hint.hidden = grade !== "poor";
    // The browser stops the submission and says why, as the server would.
    const reasonMissing = grade === "poor" && !tags.querySelector("input:checked") && !comment.value.trim();
    comment.setCustomValidity(reasonMissing ? "请勾选遇到的问题或填写评价意见" : "");
  }

  const comment = form.querySelector("[name=comment]");
  form.addEventListener("change", update);
  comment.addEventListener("input", update);
  update();
})();
