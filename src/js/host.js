// host.js: the functions the C runtime imports from JavaScript (linked with
// --js-library). Each forwards to Module.waHost, which wasyncio.mjs supplies.
mergeInto(LibraryManager.library, {
  wa_host_print: function (ptr, len) {
    Module['waHost'].print(UTF8ToString(ptr, len));
  },
  wa_host_callback: function (id, task) {
    Module['waHost'].callback(id, task);
  },
  wa_host_task_step: function (id, exc) {
    Module['waHost'].taskStep(id, exc);
  },
  wa_host_task_cancel: function (id) {
    Module['waHost'].taskCancel(id);
  },
  wa_host_task_drop: function (id) {
    Module['waHost'].taskDrop(id);
  },
  wa_host_error_freed: function (id) {
    Module['waHost'].errorFreed(id);
  },
  wa_host_report: function (ptr, len) {
    Module['waHost'].report(len < 0 ? UTF8ToString(ptr) : UTF8ToString(ptr, len));
  },
  // Built with STACK_OVERFLOW_CHECK=2, every move of the stack pointer past
  // the running fiber's limit lands here before any memory is written.
  // Throwing unwinds the task's frames; waPump (post.js) turns it into the
  // task's failure instead of an abort of the whole module.
  __handle_stack_overflow: function (requested) {
    throw Module['waHost'].stackOverflow;
  },
});
