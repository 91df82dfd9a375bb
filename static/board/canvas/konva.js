// Only the parts of Konva the board uses (keeps the bundle small).
import Konva from 'konva/lib/Core.js';
import { Rect } from 'konva/lib/shapes/Rect.js';
import { Text } from 'konva/lib/shapes/Text.js';
import { Circle } from 'konva/lib/shapes/Circle.js';
import { Arc } from 'konva/lib/shapes/Arc.js';
import { Arrow } from 'konva/lib/shapes/Arrow.js';
import { Label, Tag } from 'konva/lib/shapes/Label.js';
import { FONT_FAMILY, typeSize } from './theme.js';

export { Konva, Rect, Text, Circle, Arc, Arrow, Label, Tag };

/** A line of the board's type that takes no events (cards, headers, chips); never
 * smaller than the theme's type floor (the meeting view's, theme.setTypeFloor). */
export function plainText(props) {
  return new Text({ fontFamily: FONT_FAMILY, wrap: 'none', listening: false, perfectDrawEnabled: false, ...props, fontSize: typeSize(props.fontSize) });
}
