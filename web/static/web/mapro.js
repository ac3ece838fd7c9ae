// Bring the current activity of a wide procedure diagram into view.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".diagram-wrap .scroll").forEach(function (box) {
    var current = box.querySelector("g.task.current rect");
    if (current) {
      var x = parseFloat(current.getAttribute("x"));
      box.scrollLeft = Math.max(0, x - box.clientWidth / 3);
    }
  });
});
