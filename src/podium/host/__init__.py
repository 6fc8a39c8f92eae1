"""What the operating system says: process facts, file tails, where Podium keeps its files, bounded
and private file access."""
