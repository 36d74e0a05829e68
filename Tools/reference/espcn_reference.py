"""The reference ESPCN (Shi et al. 2016) as a PyTorch module: the layer names and layouts of
MedSR's safetensors files (README). Imported by nn_reference.py and the benchmarks."""
import torch
import torch.nn as nn


class ESPCN(nn.Module):
    def __init__(self, channels=1, scale=4):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 64, 5, padding=2)
        self.conv2 = nn.Conv2d(64, 32, 3, padding=1)
        self.conv3 = nn.Conv2d(32, channels * scale * scale, 3, padding=1)
        self.shuffle = nn.PixelShuffle(scale)

    def forward(self, x):
        x = torch.tanh(self.conv1(x))
        x = torch.tanh(self.conv2(x))
        return self.shuffle(self.conv3(x))
