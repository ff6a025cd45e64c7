{-# LANGUAGE OverloadedStrings #-}
-- | An example framework: launches command tasks on the offers it gets until
-- they have all finished, then stops (tearing the framework down).
--
-- > mesos-local --port 5050 &
-- > mesos-sched-example 127.0.0.1:5050 5
--
-- Arguments: the master (default @127.0.0.1:5050@) and the number of tasks
-- (default 3). Exits 0 when every task finished, 1 otherwise.
module Main (main) where

import           Control.Monad          (forM_, when)
import qualified Data.ByteString.Char8  as C
import           Data.IORef
import           System.Environment     (getArgs)
import           System.Exit
import           System.IO              (hPutStrLn, stderr)
import           System.Mesos.Scheduler
import           System.Mesos.Types

-- | Per-task needs.
cpusPerTask, memPerTask :: Double
cpusPerTask = 0.1
memPerTask = 32

data ExampleScheduler = ExampleScheduler
  { totalTasks    :: Int
  , tasksLaunched :: IORef Int
  , tasksFinished :: IORef Int
  , tasksFailed   :: IORef Int
  }

scalarOf :: C.ByteString -> Offer -> Double
scalarOf name offer = sum [v | Resource n (Scalar v) _ _ _ _ <- offerResources offer, n == name]

instance ToScheduler ExampleScheduler where
  registered _ _ (FrameworkID fid) master =
    C.putStrLn ("registered as " <> fid <> " with master " <> masterInfoId' master)

  resourceOffers s driver offers = forM_ offers $ \offer -> do
    launched <- readIORef (tasksLaunched s)
    let fit = floor (min (scalarOf "cpus" offer / cpusPerTask) (scalarOf "mem" offer / memPerTask))
        count = max 0 (min fit (totalTasks s - launched))
    if count == 0
      then () <$ declineOffer driver (offerId' offer) filters
      else do
        let task i =
              taskInfo ("example task " <> C.pack (show i)) (TaskID ("example-" <> C.pack (show i)))
                (offerSlaveId offer)
                [resource "cpus" (Scalar cpusPerTask), resource "mem" (Scalar memPerTask)]
                (TaskCommand (commandInfo (ShellCommand ("echo hello from task " <> C.pack (show i)))))
            tasks = map task [launched + 1 .. launched + count]
        writeIORef (tasksLaunched s) (launched + count)
        status <- launchTasks driver [offerId' offer] tasks (Filters (Just 1))
        putStrLn ("launched " ++ show count ++ " task(s) on " ++ C.unpack (offerHostname offer) ++ ": " ++ show status)

  statusUpdate s driver status = do
    putStrLn ("task " ++ C.unpack (taskIDId' (taskStatusTaskId status)) ++ " is " ++ show (taskStatusState status))
    let state = taskStatusState status
    when (isTerminal state) $ do
      if state == Finished
        then modifyIORef' (tasksFinished s) (+ 1)
        else modifyIORef' (tasksFailed s) (+ 1)
      done <- (+) <$> readIORef (tasksFinished s) <*> readIORef (tasksFailed s)
      when (done >= totalTasks s) $ () <$ stop driver False

  errorMessage _ _ message = C.hPutStrLn stderr ("error: " <> message)

main :: IO ()
main = do
  args <- getArgs
  let master = case args of
        m : _ -> C.pack m
        [] -> "127.0.0.1:5050"
      total = case args of
        _ : n : _ -> read n
        _ -> 3
  scheduler <- ExampleScheduler total <$> newIORef 0 <*> newIORef 0 <*> newIORef 0
  status <- withSchedulerDriver scheduler (frameworkInfo "" "mesos-sched Haskell example") master Nothing run
  finished <- readIORef (tasksFinished scheduler)
  hPutStrLn stderr ("driver " ++ show status ++ "; " ++ show finished ++ "/" ++ show total ++ " tasks finished")
  if status == Stopped && finished == total then exitSuccess else exitFailure
