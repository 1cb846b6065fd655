/**
 * Inputs whose text stays as typed while they have focus, and follows the stored value otherwise:
 * shown from the stored value, `0.` would become `0` and the point would be lost on the way to
 * `0.5`, and JSON being typed would be reformatted under the cursor. On blur the text is tidied to
 * how the value it means is shown. A stored value that changes for another reason while the field
 * has focus (undo, redo, a reload) replaces the text: the field never shows what the document no
 * longer holds.
 */
import { useEffect, useRef, useState, type ChangeEvent, type InputHTMLAttributes, type TextareaHTMLAttributes } from 'react';

interface Draft<T> {
  /** The stored value as text. */
  shown: string;
  read(text: string): T;
  show(value: T): string;
  onValue(value: T): void;
  onDone(): void;
}

function useDraft<T>({ shown, read, show, onValue, onDone }: Draft<T>) {
  const [text, setText] = useState(shown);
  const focused = useRef(false);
  // How the stored value is shown once what was typed last is stored: a `shown` that differs came from elsewhere.
  const expected = useRef(shown);
  useEffect(() => {
    if (!focused.current || shown !== expected.current) setText(shown);
    expected.current = shown;
  }, [shown]);
  return {
    value: text,
    onFocus: () => (focused.current = true),
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      const typed = read(e.target.value);
      setText(e.target.value);
      expected.current = show(typed);
      onValue(typed);
    },
    onBlur: () => {
      focused.current = false;
      setText(show(read(text)));
      onDone();
    },
  };
}

type Omitted = 'value' | 'onChange' | 'onFocus' | 'onBlur';

export function DraftInput<T>({ shown, read, show, onValue, onDone, ...input }: Draft<T> & Omit<InputHTMLAttributes<HTMLInputElement>, Omitted>) {
  return <input type="text" {...input} {...useDraft({ shown, read, show, onValue, onDone })} />;
}

export function DraftTextarea<T>({ shown, read, show, onValue, onDone, ...textarea }: Draft<T> & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, Omitted>) {
  return <textarea {...textarea} {...useDraft({ shown, read, show, onValue, onDone })} />;
}
