// The keys the line editor knows, as terminals send them (xterm, VT100 application mode, and
// the Emacs-style control keys node:readline also understood). Anything else is ignored.

export type Edit = 'left' | 'right' | 'home' | 'end' | 'backspace' | 'deleteRight' | 'killToEnd' | 'killToStart' | 'deleteWord' | 'up' | 'down';
export type Action = 'enter' | 'interrupt' | 'tab' | Edit;

export const KEYS: Record<string, Action | undefined> = {
  '\r': 'enter', '\n': 'enter', '\x03': 'interrupt', '\t': 'tab',
  '\x1b[D': 'left', '\x1bOD': 'left', '\x02': 'left',
  '\x1b[C': 'right', '\x1bOC': 'right', '\x06': 'right',
  '\x1b[H': 'home', '\x1bOH': 'home', '\x1b[1~': 'home', '\x1b[7~': 'home', '\x01': 'home',
  '\x1b[F': 'end', '\x1bOF': 'end', '\x1b[4~': 'end', '\x1b[8~': 'end', '\x05': 'end',
  '\x7f': 'backspace', '\b': 'backspace', '\x1b[3~': 'deleteRight', '\x04': 'deleteRight',
  '\x0b': 'killToEnd', '\x15': 'killToStart', '\x17': 'deleteWord', '\x1b\x7f': 'deleteWord', '\x1b\b': 'deleteWord',
  '\x1b[A': 'up', '\x1bOA': 'up', '\x10': 'up',
  '\x1b[B': 'down', '\x1bOB': 'down', '\x0e': 'down',
};

