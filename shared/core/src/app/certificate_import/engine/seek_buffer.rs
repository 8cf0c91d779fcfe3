//! A buffered reader whose seeks keep the buffer when they land in it. A zip's entries
//! are read in order, each after a seek to its header; `BufReader` drops its buffer at
//! every seek, so a zip of small entries (a file per certificate) cost a seek and a read
//! call per entry. Here one read fills the buffer for many entries.

use std::io::{Read, Result, Seek, SeekFrom};

const CAPACITY: usize = 256 * 1024;

pub struct SeekBuffer<R> {
    inner: R,
    buf: Box<[u8]>,
    /// Where `buf[0]` is in `inner`.
    start: u64,
    /// Bytes of `buf` that hold data.
    len: usize,
    /// The read position, within `buf` (it may equal `len`: nothing left to read).
    pos: usize,
    /// Where `inner` is now, when known.
    inner_at: Option<u64>,
}

impl<R: Read + Seek> SeekBuffer<R> {
    pub fn new(inner: R) -> Self {
        SeekBuffer {
            inner,
            buf: vec![0; CAPACITY].into_boxed_slice(),
            start: 0,
            len: 0,
            pos: 0,
            inner_at: None,
        }
    }

    fn position(&self) -> u64 {
        self.start + self.pos as u64
    }

    /// Moves `inner` to the read position, if it is elsewhere.
    fn align(&mut self) -> Result<()> {
        let at = self.position();
        if self.inner_at != Some(at) {
            self.inner.seek(SeekFrom::Start(at))?;
            self.inner_at = Some(at);
        }
        Ok(())
    }
}

impl<R: Read + Seek> Read for SeekBuffer<R> {
    fn read(&mut self, out: &mut [u8]) -> Result<usize> {
        if self.pos == self.len {
            self.align()?;
            let at = self.position();
            if out.len() >= self.buf.len() {
                // Larger than the buffer: straight through.
                let n = self.inner.read(out)?;
                self.inner_at = Some(at + n as u64);
                (self.start, self.len, self.pos) = (at + n as u64, 0, 0);
                return Ok(n);
            }
            let n = self.inner.read(&mut self.buf)?;
            self.inner_at = Some(at + n as u64);
            (self.start, self.len, self.pos) = (at, n, 0);
        }
        let n = out.len().min(self.len - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for SeekBuffer<R> {
    fn seek(&mut self, to: SeekFrom) -> Result<u64> {
        let target = match to {
            SeekFrom::Start(at) => at,
            SeekFrom::Current(by) => self.position().checked_add_signed(by).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
            })?,
            SeekFrom::End(by) => {
                let at = self.inner.seek(SeekFrom::End(by))?;
                self.inner_at = Some(at);
                at
            }
        };
        if (self.start..=self.start + self.len as u64).contains(&target) {
            self.pos = (target - self.start) as usize;
        } else {
            (self.start, self.len, self.pos) = (target, 0, 0);
        }
        Ok(target)
    }

    fn stream_position(&mut self) -> Result<u64> {
        Ok(self.position())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    #[test]
    fn reads_and_seeks_as_the_reader_beneath_would() {
        let data: Vec<u8> = (0..CAPACITY * 3).map(|i| (i % 251) as u8).collect();
        let mut buffered = SeekBuffer::new(Cursor::new(data.clone()));
        let mut plain = Cursor::new(data);
        let steps = [
            SeekFrom::Start(10),
            SeekFrom::Current(100),
            SeekFrom::Start(5),
            SeekFrom::End(-300),
            SeekFrom::Start(CAPACITY as u64 - 3),
            SeekFrom::Current(-50),
            SeekFrom::Start(CAPACITY as u64 * 2 + 7),
        ];
        for (step, len) in steps.into_iter().zip([7, 300, 20, 400, 10, CAPACITY + 5, 64]) {
            assert_eq!(
                buffered.seek(step).unwrap(),
                plain.seek(step).unwrap(),
                "{step:?}"
            );
            let (mut a, mut b) = (vec![0; len], vec![0; len]);
            let read_a = buffered.read(&mut a).unwrap();
            let read_b = plain.read(&mut b[..read_a]).unwrap();
            assert_eq!((read_a, &a[..read_a]), (read_b, &b[..read_b]), "{step:?}");
            assert_eq!(
                buffered.stream_position().unwrap(),
                plain.stream_position().unwrap()
            );
        }
    }
}
