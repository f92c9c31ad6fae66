"""Makes the PyTorch fixtures of PyTorchCheckpointTest: three of the samples' networks written in
PyTorch with the Kiln layers' names, their state dicts saved with safetensors (as PyTorch users
save them), and PyTorch's outputs for a few images.

    python3 make_fixtures.py        # needs torch and safetensors; writes the files beside it

For each network NAME it writes NAME.state_dict.safetensors (model.state_dict(): OIHW kernels,
[out, in] linear weights, BatchNorm's weight, bias, running_mean, running_var and
num_batches_tracked) and NAME.io.safetensors (images [4, 1, 28, 28], NCHW, and PyTorch's
probabilities [4, 10] in eval mode). Weights are PyTorch's default initialization from a fixed
seed, the BatchNorm statistics random, so that every tensor counts. Neither Python nor this script
is needed to run the tests.
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


class LeNet5(nn.Module):
    """dev.kiln.samples.networks.LeNet5: c1 is 5x5 SAME (pad 2 on every side at stride 1)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.c5 = nn.Linear(16 * 5 * 5, 120)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c3(x)), 2)
        x = torch.flatten(x, 1)  # CHW order: Kiln's loader reorders c5's rows to HWC
        x = F.relu(self.c5(x))
        x = F.relu(self.f6(x))
        return F.softmax(self.output(x), dim=1)


def bn(channels):
    return nn.BatchNorm2d(channels, eps=1e-3)  # Kiln's (Keras's) epsilon


class MnistResNet(nn.Module):
    """dev.kiln.samples.networks.MnistResNet: 3x3 SAME convolutions at stride 1 pad 1 everywhere."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.stemNorm = bn(16)
        self.block1a = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.block1aNorm = bn(16)
        self.block1b = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.block1bNorm = bn(16)
        self.block2a = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.block2aNorm = bn(32)
        self.block2b = nn.Conv2d(32, 32, 3, padding=1, bias=False)
        self.block2bNorm = bn(32)
        self.shortcut2 = nn.Conv2d(16, 32, 1, bias=False)
        self.shortcut2Norm = bn(32)
        self.output = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        stem = F.relu(self.stemNorm(self.stem(x)))
        y = F.relu(self.block1aNorm(self.block1a(stem)))
        block1 = F.relu(self.block1bNorm(self.block1b(y)) + stem)
        pool1 = F.max_pool2d(block1, 2)
        y = F.relu(self.block2aNorm(self.block2a(pool1)))
        block2 = F.relu(self.block2bNorm(self.block2b(y)) + self.shortcut2Norm(self.shortcut2(pool1)))
        pool2 = F.max_pool2d(block2, 2)
        return F.softmax(self.output(torch.flatten(pool2, 1)), dim=1)


class MnistMobileNet(nn.Module):
    """dev.kiln.samples.networks.MnistMobileNet. Its depthwise 3x3 stride-2 SAME convolutions pad
    TensorFlow's way, 0 rows on top and 1 at the bottom (and so for columns): PyTorch's padding=1
    would pad both sides and compute something else, so the padding is explicit."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.stemNorm = bn(32)
        self.depthwise1 = nn.Conv2d(32, 32, 3, stride=2, groups=32, bias=False)
        self.depthwise1Norm = bn(32)
        self.pointwise1 = nn.Conv2d(32, 64, 1, bias=False)
        self.pointwise1Norm = bn(64)
        self.depthwise2 = nn.Conv2d(64, 64, 3, stride=2, groups=64, bias=False)
        self.depthwise2Norm = bn(64)
        self.pointwise2 = nn.Conv2d(64, 128, 1, bias=False)
        self.pointwise2Norm = bn(128)
        self.output = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.stemNorm(self.stem(x)))
        x = F.relu(self.depthwise1Norm(self.depthwise1(F.pad(x, (0, 1, 0, 1)))))  # 28 -> 14
        x = F.relu(self.pointwise1Norm(self.pointwise1(x)))
        x = F.relu(self.depthwise2Norm(self.depthwise2(F.pad(x, (0, 1, 0, 1)))))  # 14 -> 7
        x = F.relu(self.pointwise2Norm(self.pointwise2(x)))
        x = torch.mean(x, dim=(2, 3))
        return F.softmax(self.output(x), dim=1)


def main():
    for name, make in [("lenet5", LeNet5), ("resnet", MnistResNet), ("mobilenet", MnistMobileNet)]:
        torch.manual_seed(19)
        model = make()
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                with torch.no_grad():
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.normal_(0, 0.1)
                    module.running_mean.normal_(0, 0.2)
                    module.running_var.uniform_(0.5, 1.5)
                    module.num_batches_tracked.fill_(100)
        model.eval()
        images = torch.rand(4, 1, 28, 28)
        with torch.no_grad():
            probabilities = model(images)
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        save_file(state, os.path.join(HERE, name + ".state_dict.safetensors"),
                  metadata={"made_by": "make_fixtures.py, torch " + torch.__version__})
        save_file({"images": images, "probabilities": probabilities},
                  os.path.join(HERE, name + ".io.safetensors"))
        print(name, sum(v.numel() for v in state.values()), "values")


if __name__ == "__main__":
    main()
