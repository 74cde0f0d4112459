using Derain.Pipelines.Tests.Infrastructure;
using Derain.Pipelines.Training.Logging;

namespace Derain.Pipelines.Tests.Training;

public sealed class TrainingLogTests
{
    private static readonly string[] Columns = ["epoch", "lr", "loss", "loss_rest", "psnr"];

    private static LogEntry Train(long iter, double loss) => new LogEntry(LogEntry.Train, iter).Add("epoch", 0).Add("lr", 1e-4).Add("loss", loss).Add("loss_rest", loss / 3);

    [Fact]
    public void Numbers_read_back_bit_for_bit()
    {
        using var dir = new TempFolder();
        double awkward = 0.1 + 0.2, tiny = 4.9e-324, big = 1.7976931348623157e308;
        using (var log = new TrainingLog(dir.Path, Columns))
        {
            log.Open(0);
            log.Write(Train(1, awkward));
            log.Write(Train(2, tiny));
            log.Write(new LogEntry(LogEntry.Validation, 2).Add("psnr", big).Add("ssim", double.NaN));
        }
        var back = TrainingLog.Read(dir[TrainingLog.JsonFile]);
        Assert.Equal(3, back.Count);
        Assert.Equal(BitConverter.DoubleToInt64Bits(awkward), BitConverter.DoubleToInt64Bits(back[0]["loss"]!.Value));
        Assert.Equal(BitConverter.DoubleToInt64Bits(awkward / 3), BitConverter.DoubleToInt64Bits(back[0]["loss_rest"]!.Value));
        Assert.Equal(tiny, back[1]["loss"]);
        Assert.Equal(big, back[2]["psnr"]);
        Assert.Null(back[2]["ssim"]); // not a number: written as null, never as invalid JSON
        var csv = File.ReadAllLines(dir[TrainingLog.CsvFile]);
        Assert.Equal("kind,iter,epoch,lr,loss,loss_rest,psnr", csv[0]);
        Assert.Equal($"train,1,0,0.0001,{awkward:R},{awkward / 3:R},", csv[1]);
        Assert.Equal("val,2,,,,,1.7976931348623157E+308", csv[3]);
    }

    [Fact]
    public void Reopening_at_a_checkpoint_keeps_the_entries_up_to_it_and_drops_a_cut_line()
    {
        using var dir = new TempFolder();
        using (var log = new TrainingLog(dir.Path, Columns))
        {
            log.Open(0);
            for (int i = 1; i <= 6; i++) log.Write(Train(i, 1.0 / i));
        }
        // A kill -9 in the middle of a write leaves half a line.
        File.AppendAllText(dir[TrainingLog.JsonFile], "{\"kind\":\"train\",\"iter\":7,\"lo");
        File.AppendAllText(dir[TrainingLog.CsvFile], "train,7,0,0.0001,0.14");
        using (var log = new TrainingLog(dir.Path, Columns))
        {
            log.Open(4);
            Assert.Equal([1L, 2, 3, 4], log.Entries.Select(e => e.Iteration));
            log.Write(Train(5, 0.5));
        }
        var json = TrainingLog.Read(dir[TrainingLog.JsonFile]);
        Assert.Equal([1L, 2, 3, 4, 5], json.Select(e => e.Iteration));
        Assert.Equal(0.5, json[4]["loss"]);
        var csv = File.ReadAllLines(dir[TrainingLog.CsvFile]);
        Assert.Equal(6, csv.Length);
        Assert.StartsWith("train,5,", csv[5]);
        Assert.DoesNotContain(File.ReadAllText(dir[TrainingLog.JsonFile]), "\"lo\n");
    }

    [Fact]
    public void Starting_afresh_empties_an_old_log()
    {
        using var dir = new TempFolder();
        using (var log = new TrainingLog(dir.Path, Columns))
        {
            log.Open(0);
            log.Write(Train(1, 1));
        }
        using (var log = new TrainingLog(dir.Path, Columns)) log.Open(0);
        Assert.Empty(TrainingLog.Read(dir[TrainingLog.JsonFile]));
        Assert.Single(File.ReadAllLines(dir[TrainingLog.CsvFile]));
    }
}
