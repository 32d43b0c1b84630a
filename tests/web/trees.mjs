// The timeline rows the terminate cell draws (web/model.mjs's outline()),
// shared by the model's test in Node and the page's in Chromium.

/** The group the cell terminates: its exit future, four jobs (the first
    done, the others cancelled) and the terminator. */
const TERMINATED_GROUP = [
  '  TaskGroup exit (group): cancelled',
  '    Task-*: done',
  '    Task-*: cancelled',
  '    Task-*: cancelled',
  '    Task-*: cancelled',
  '    Task-*: failed TerminateTaskGroup: ',
];

/** terminate_cell, the C coroutine. */
export const TERMINATE_C = ['Task-*: done', ...TERMINATED_GROUP, '  TaskGroup exit (future): done'];

/** The same cell driven from JS (rt.taskGroup). */
export const TERMINATE_JS = [
  'group: failed ExceptionGroup', ...TERMINATED_GROUP, '  sleep (future): done', '  TaskGroup exit (future): done',
];
