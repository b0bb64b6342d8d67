/** Cursor and scroll position of a virtual list: only rows top .. top+height-1 are drawn. */
export class ListCursor {
  count = 0;
  pos = 0;
  top = 0;
  height = 1;

  setCount(n: number): void {
    this.count = n;
    this.clamp();
  }

  setHeight(h: number): void {
    this.height = Math.max(1, h);
    this.clamp();
  }

  set(pos: number): void {
    this.pos = pos;
    this.clamp();
  }

  move(delta: number): void {
    this.set(this.pos + delta);
  }

  page(dir: 1 | -1): void {
    const step = Math.max(1, this.height - 1);
    this.top = Math.max(0, this.top + dir * step);
    this.set(this.pos + dir * step);
  }

  home(): void {
    this.set(0);
  }

  end(): void {
    this.set(this.count - 1);
  }

  private clamp(): void {
    if (this.pos >= this.count) this.pos = this.count - 1;
    if (this.pos < 0) this.pos = 0;
    const maxTop = Math.max(0, this.count - this.height);
    if (this.top > maxTop) this.top = maxTop;
    if (this.pos < this.top) this.top = this.pos;
    if (this.pos >= this.top + this.height) this.top = this.pos - this.height + 1;
    if (this.top < 0) this.top = 0;
  }
}
