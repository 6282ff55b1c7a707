using System.CommandLine;
using Multinoulli.Onnx;

namespace Multinoulli.Cli.Commands;

/// <summary><c>multinoulli export</c>: a saved model as ONNX.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "The model file (written by train --model).", Required = true };
        var onnx = new Option<FileInfo>("--onnx") { Description = "The ONNX file to write.", Required = true };
        var command = new Command("export", """
            Writes a saved model as ONNX (IR 8, opset 17): input "input" float32 [N × features]; outputs
            "probabilities" float32 [N × classes] and "label" int64 [N]. Runs in ONNX Runtime and anything that
            reads ONNX.

            Example:
              multinoulli export --model digits.model --onnx digits.onnx
            """)
        {
            model, onnx,
        };
        command.SetAction(parse =>
        {
            var layer = EvalCommand.Load(parse.GetValue(model)!);
            var target = parse.GetValue(onnx)!;
            if (target.Directory is { Exists: false } folder) throw new UsageException($"--onnx {target.FullName}: the folder {folder.FullName} does not exist.");
            OnnxExport.Save(layer, target.FullName);
            Console.Out.WriteLine($"Wrote {target.FullName}: {layer.Features} features → {layer.Classes} classes ({layer.Parameterization}).");
            return 0;
        });
        return command;
    }
}
