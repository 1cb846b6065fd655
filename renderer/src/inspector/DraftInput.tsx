/**
 * Inputs whose text stays as typed while they have focus, and follows the stored value otherwise:
 * shown from the stored value, `0.` would become `0` and the point would be lost on the way to
 * `0.5`, and JSON being typed would be reformatted under the cursor. On blur the text is tidied to
 * how the value it means is shown.
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
  useEffect(() => {
    if (!focused.current) setText(shown);
  }, [shown]);
  return {
    value: text,
    onFocus: () => (focused.current = true),
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      setText(e.target.value);
      onValue(read(e.target.value));
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
