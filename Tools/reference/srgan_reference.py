"""The reference SRResNet / Swift-SRGAN generator and SRGAN / Swift-SRGAN discriminator as
PyTorch modules: the layer names and layouts of MedSR's safetensors files (README). The skeleton
and names follow Swift-SRGAN's public code (ConvBlock: cnn, bn, act); with separable=False every
convolution is a plain nn.Conv2d (SRResNet, Ledig et al. 2017). Differences from that code, on
purpose: x8 builds three x2 upsampling blocks (not four), x3 one PixelShuffle(3) block, SRResNet's
output is linear (Swift-SRGAN's is (tanh + 1) / 2), and the discriminator returns logits (the loss
applies the sigmoid) with a configurable pooled head (default: global average pooling, Dense 1024)."""
import math

import torch
import torch.nn as nn


class SeparableConv2d(nn.Module):
    def __init__(self, cin, cout, k, stride=1, bias=True):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, k, stride, k // 2, groups=cin, bias=bias)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


def conv(cin, cout, k, stride=1, bias=True, separable=False):
    return SeparableConv2d(cin, cout, k, stride, bias) if separable else nn.Conv2d(cin, cout, k, stride, k // 2, bias=bias)


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, k, stride=1, bn=True, act="prelu", separable=False):
        super().__init__()
        self.cnn = conv(cin, cout, k, stride, bias=not bn, separable=separable)
        self.bn = nn.BatchNorm2d(cout) if bn else nn.Identity()
        self.act = nn.PReLU(cout) if act == "prelu" else (nn.LeakyReLU(0.2) if act == "leaky" else nn.Identity())

    def forward(self, x):
        return self.act(self.bn(self.cnn(x)))


class ResidualBlock(nn.Module):
    def __init__(self, f, separable):
        super().__init__()
        self.block1 = ConvBlock(f, f, 3, separable=separable)
        self.block2 = ConvBlock(f, f, 3, act=None, separable=separable)

    def forward(self, x):
        return x + self.block2(self.block1(x))


class UpsampleBlock(nn.Module):
    def __init__(self, f, factor, separable):
        super().__init__()
        self.conv = conv(f, f * factor * factor, 3, separable=separable)
        self.ps = nn.PixelShuffle(factor)
        self.act = nn.PReLU(f)

    def forward(self, x):
        return self.act(self.ps(self.conv(x)))


class Generator(nn.Module):
    """SRResNet (separable=False) or the Swift-SRGAN generator (separable=True)."""

    def __init__(self, channels=1, scale=4, separable=False, blocks=16, features=64):
        super().__init__()
        assert scale in (2, 3, 4, 8)
        f = features
        self.separable = separable
        self.initial = ConvBlock(channels, f, 9, bn=False, separable=separable)
        self.residual = nn.Sequential(*[ResidualBlock(f, separable) for _ in range(blocks)])
        self.convblock = ConvBlock(f, f, 3, act=None, separable=separable)
        factors = [3] if scale == 3 else [2] * int(math.log2(scale))
        self.upsampler = nn.Sequential(*[UpsampleBlock(f, r, separable) for r in factors])
        self.final_conv = conv(f, channels, 9, separable=separable)

    def forward(self, x):
        initial = self.initial(x)
        x = self.convblock(self.residual(initial)) + initial
        x = self.final_conv(self.upsampler(x))
        return (torch.tanh(x) + 1) / 2 if self.separable else x


class Discriminator(nn.Module):
    def __init__(self, channels=1, separable=False, features=(64, 64, 128, 128, 256, 256, 512, 512), pool=1, hidden=1024):
        super().__init__()
        blocks, cin = [], channels
        for i, f in enumerate(features):
            blocks.append(ConvBlock(cin, f, 3, stride=1 + i % 2, bn=i != 0, act="leaky", separable=separable))
            cin = f
        self.blocks = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(pool), nn.Flatten(), nn.Linear(cin * pool * pool, hidden),
                                        nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.classifier(self.blocks(x))
